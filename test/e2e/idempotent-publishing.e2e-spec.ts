import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { makeDataDir, removeDataDir, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

const admin = token('idem-admin', { roles: ['admin'] });
const service = token('idem-svc', { roles: ['service'] });

interface Item {
  type: string;
  recipient: string;
}

/**
 * The types of what `user` has in the inbox; broadcasts (which other tests send, too)
 * only when `withBroadcasts`.
 */
async function inboxOf(url: string, user: string, withBroadcasts = false): Promise<string[]> {
  const res = await request(url)
    .get('/notifications')
    .set(bearer(token(user)))
    .expect(200);
  return (res.body as { items: Item[] }).items
    .filter((item) => withBroadcasts || item.recipient !== '*')
    .map((item) => item.type);
}

interface Operation {
  parameters?: { in: string; name: string }[];
}

function keyed(url: string, jwt: string, path: string, key: string, body: object) {
  return request(url).post(path).set(bearer(jwt)).set('Idempotency-Key', key).send(body);
}

describe('Idempotent publishing (embedded store)', () => {
  let t: TestApp;
  const raws: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(() => {
    for (const raw of raws.splice(0)) raw.close();
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives a keyed retry the first answer and publishes once', async () => {
    const alice = token('alice-1');
    const first = await keyed(t.url, alice, '/messages', 'k-1', { text: 'hi', to: ['bob-1'] });
    expect(first.status).toBe(201);
    const again = await keyed(t.url, alice, '/messages', 'k-1', { to: ['bob-1'], text: 'hi' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await inboxOf(t.url, 'bob-1')).toHaveLength(1);
  });

  it('makes every publishing route idempotent', async () => {
    const alice = token('alice-2');
    const bob = token('bob-2');
    const twice = async (jwt: string, path: string, key: string, body: object) => {
      const first = await keyed(t.url, jwt, path, key, body);
      const again = await keyed(t.url, jwt, path, key, body);
      expect([path, first.status]).toEqual([path, 201]);
      expect([path, again.status, again.body]).toEqual([path, 201, first.body]);
      return first.body as { id: string };
    };
    const start = (key: string) =>
      twice(alice, '/workflows', key, { name: 'Release', approvers: ['bob-2'] });
    const approved = await start('w-1');
    // Without the key, a second decision on a decided workflow is 409: it ran once.
    await twice(alice, `/workflows/${approved.id}/logs`, 'l-1', { lines: ['building'] });
    await twice(bob, `/workflows/${approved.id}/approve`, 'd-1', { comment: 'ok' });
    const rejected = await start('w-2');
    await twice(bob, `/workflows/${rejected.id}/reject`, 'd-2', {});
    const cancelled = await start('w-3');
    await twice(alice, `/workflows/${cancelled.id}/cancel`, 'c-1', {});
    await twice(admin, '/announcements', 'a-1', { title: 'Hello', body: 'all' });
    await twice(service, '/notifications', 'n-1', {
      recipients: ['bob-2'],
      type: 'test.ping',
      title: 'ping',
    });

    expect((await inboxOf(t.url, 'alice-2')).sort()).toEqual([
      'workflow.approved',
      'workflow.rejected',
    ]);
    expect((await inboxOf(t.url, 'bob-2')).sort()).toEqual([
      'test.ping',
      'workflow.cancelled',
      'workflow.started',
      'workflow.started',
      'workflow.started',
    ]);
    const all = await inboxOf(t.url, 'bob-2', true);
    expect(all.filter((type) => type === 'announcement')).toHaveLength(1);
    const timeline = new RawStream(`${t.url}/workflows/${approved.id}/stream`, bearer(alice));
    raws.push(timeline);
    await timeline.waitForEnd();
    expect(timeline.blocks.filter((block) => block.includes('event: log'))).toHaveLength(1);
  });

  it('answers 409 naming the key to the same key with another body or route', async () => {
    const alice = token('alice-3');
    await keyed(t.url, alice, '/messages', 'k-3', { text: 'one', to: ['bob-3'] }).expect(201);
    const other = await keyed(t.url, alice, '/messages', 'k-3', { text: 'two', to: ['bob-3'] });
    expect(other.status).toBe(409);
    expect((other.body as { message: string }).message).toContain('Idempotency-Key "k-3"');
    const route = await keyed(t.url, alice, '/workflows', 'k-3', {
      name: 'W',
      approvers: ['bob-3'],
    });
    expect(route.status).toBe(409);
    expect(await inboxOf(t.url, 'bob-3')).toHaveLength(1);
  });

  it.each([
    ['over 200 characters', 'k'.repeat(201)],
    ['empty', ''],
    ['with a tab', 'a\tb'],
    ['with a non-ASCII character', 'schl\u00fcssel'],
  ])('answers 400 naming the header to a key %s and publishes nothing', async (_, key) => {
    const user = `bob-4-${key.length}-${key.charCodeAt(1)}`;
    const res = await keyed(t.url, token('alice-4'), '/messages', key, { text: 'x', to: [user] });
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain('Idempotency-Key');
    expect(await inboxOf(t.url, user)).toHaveLength(0);
  });

  it('accepts a key of exactly 200 printable characters', async () => {
    const key = ` !~${'z'.repeat(197)}`;
    const body = { text: 'x', to: ['bob-5'] };
    const first = await keyed(t.url, token('alice-5'), '/messages', key, body).expect(201);
    const again = await keyed(t.url, token('alice-5'), '/messages', key, body).expect(201);
    expect(again.body).toEqual(first.body);
    expect(await inboxOf(t.url, 'bob-5')).toHaveLength(1);
  });

  it('publishes once for identical keyed requests sent at the same moment', async () => {
    const alice = token('alice-6');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        keyed(t.url, alice, '/messages', 'k-6', { text: 'race', to: ['bob-6'] }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((res) => JSON.stringify(res.body))).size).toBe(1);
    expect(await inboxOf(t.url, 'bob-6')).toHaveLength(1);
  });

  it('keeps a key of each user apart: another user with the same key publishes', async () => {
    const body = { text: 'same', to: ['bob-7'] };
    const a = await keyed(t.url, token('alice-7'), '/messages', 'k-7', body).expect(201);
    const c = await keyed(t.url, token('carol-7'), '/messages', 'k-7', body).expect(201);
    expect((c.body as { id: string }).id).not.toBe((a.body as { id: string }).id);
    const retries = await Promise.all(
      ['alice-7', 'carol-7'].map((user) => keyed(t.url, token(user), '/messages', 'k-7', body)),
    );
    expect(retries.map((res) => res.body as unknown)).toEqual([a.body, c.body]);
    expect(await inboxOf(t.url, 'bob-7')).toHaveLength(2);
  });

  it('gives a repeat of a client error the same error again', async () => {
    const alice = token('alice-8');
    const bad = await keyed(t.url, alice, '/messages', 'k-8', { text: 'x', to: 'bob-8' });
    expect(bad.status).toBe(400);
    const again = await keyed(t.url, alice, '/messages', 'k-8', { text: 'x', to: 'bob-8' });
    expect([again.status, again.body]).toEqual([400, bad.body]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await inboxOf(t.url, 'bob-8')).toHaveLength(0);
  });

  it('documents the header on every publishing route in the OpenAPI document', async () => {
    const res = await request(t.url).get('/docs-json').expect(200);
    const paths = (res.body as { paths: Record<string, Record<string, Operation>> }).paths;
    const documented = Object.entries(paths)
      .filter(([, operations]) =>
        (operations.post?.parameters ?? []).some(
          (parameter) => parameter.in === 'header' && parameter.name === 'Idempotency-Key',
        ),
      )
      .map(([path]) => path)
      .sort();
    expect(documented).toEqual([
      '/announcements',
      '/messages',
      '/notifications',
      '/workflows',
      '/workflows/{id}/approve',
      '/workflows/{id}/cancel',
      '/workflows/{id}/logs',
      '/workflows/{id}/reject',
    ]);
  });

  it('gives a keyed retry after a restart (same DATA_DIR) the first answer', async () => {
    const dir = makeDataDir();
    try {
      const alice = token('alice-9');
      const body = { text: 'before the restart', to: ['bob-9'] };
      const before = await startApp({ DATA_DIR: dir });
      const first = await keyed(before.url, alice, '/messages', 'k-9', body).expect(201);
      await before.close();
      const after = await startApp({ DATA_DIR: dir });
      try {
        const again = await keyed(after.url, alice, '/messages', 'k-9', body);
        expect([again.status, again.body]).toEqual([201, first.body]);
        expect(await inboxOf(after.url, 'bob-9')).toHaveLength(1);
      } finally {
        await after.close();
      }
    } finally {
      removeDataDir(dir);
    }
  });
});
