import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { NotificationStore } from '../../src/storage/notification-store.js';
import { publish, SERVICE_TOKEN, startWorkflow } from '../support/api.js';
import {
  eventually,
  makeDataDir,
  removeDataDir,
  sleep,
  startApp,
  type TestApp,
} from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

/** What `userId` must receive of `published`, in order: theirs and others' broadcasts. */
const expectedFor = (userId: string, published: Notification[]) =>
  published
    .filter((n) => n.recipient === userId || (n.recipient === '*' && n.actorId !== userId))
    .map((n) => n.id);

describe('Resuming a notification stream', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The burst publishes hundreds of notifications as one service user.
    t = await startApp({
      RETRY_MS: '100',
      MAX_STREAMS_PER_USER: '50',
      PUBLISH_RATE_LIMIT: '100000',
    });
  });
  afterEach(async () => {
    closeAllClients();
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  it.each(['header', 'query'] as const)(
    'replays what was missed after the Last-Event-ID given in the %s, then goes live',
    async (place) => {
      const user = `resumer-${place}`;
      const first = await new StreamClient(t.url, token(user)).ready();
      const seen = [...(await publish(t, [user], 'a')), ...(await publish(t, '*', 'b'))];
      await first.waitForEvents(2);
      first.close();
      const missed = [...(await publish(t, [user], 'c')), ...(await publish(t, '*', 'd'))];
      await publish(t, ['someone-else'], 'not for the resumer');
      const last = seen[1].id;
      const second = await new StreamClient(t.url, token(user), {
        ...(place === 'header'
          ? { lastEventId: last }
          : { path: `/notifications/stream?lastEventId=${last}` }),
      }).ready();
      await second.waitForEvents(2);
      const live = await publish(t, [user], 'e');
      await second.waitForEvents(3);
      await sleep(100);
      expect(second.cursors).toEqual([...missed, ...live].map((n) => n.id));
      expect(second.payloads().map((n) => n.title)).toEqual(['c', 'd', 'e']);
      expect(second.controls.filter((c) => c.type === 'reset')).toEqual([]);
    },
  );

  it('replays nothing and stays live when the client missed nothing', async () => {
    const [n] = await publish(t, ['uptodate'], 'x');
    const client = await new StreamClient(t.url, token('uptodate'), { lastEventId: n.id }).ready();
    const [live] = await publish(t, ['uptodate'], 'y');
    await client.waitForEvents(1);
    await sleep(100);
    expect(client.cursors).toEqual([live.id]);
  });

  it.each([
    ['malformed', 'not-a-cursor', /not a cursor/],
    ['unknown', '9999999999', /unknown/],
  ])(
    'sends reset first for a %s cursor, with the latest cursor, then goes live',
    async (_, cursor, reason) => {
      const user = `reset-${cursor}`;
      const [latest] = await publish(t, [user], 'before');
      const stream = new RawStream(`${t.url}/notifications/stream`, {
        ...bearer(token(user)),
        'Last-Event-ID': cursor,
      });
      await stream.waitForBody('event: reset');
      const [live] = await publish(t, [user], 'after');
      await stream.waitForBody('after');
      const blocks = stream.blocks.filter((block) => !block.startsWith(':'));
      const reset = blocks.find((block) => block.startsWith('event: reset'))!;
      expect(reset.split('\n')).toHaveLength(2);
      const payload = JSON.parse(reset.split('\n')[1].slice('data: '.length)) as {
        reason: string;
        latestId: string;
      };
      expect(payload).toEqual({ reason: expect.stringMatching(reason), latestId: latest.id });
      // retry, then the reset before any other event (the contract's "first"), the known
      // types, the current unread count, and then the live notification only
      expect(blocks.map((block) => block.split('\n')[0])).toEqual([
        'retry: 3000'.replace('3000', '100'),
        'event: reset',
        'event: types',
        'event: unread-count',
        `id: ${live.id}`,
        'event: unread-count',
      ]);
      stream.close();
    },
  );

  it('sends reset (expired) for a cursor older than what is kept', async () => {
    const [old] = await publish(t, ['forgetful'], 'old');
    await publish(t, ['forgetful'], 'also old');
    // As if RETENTION_DAYS had passed: prune everything stored so far.
    await t.app.get(NotificationStore).prune(new Date(Date.now() + 1000));
    const [kept] = await publish(t, ['forgetful'], 'kept');
    const client = await new StreamClient(t.url, token('forgetful'), {
      lastEventId: old.id,
    }).ready();
    await eventually(() => client.controls.some((c) => c.type === 'reset'), 'the reset');
    const reset = client.payloads<{ reason: string; latestId: string }>('reset')[0];
    expect(reset).toEqual({ reason: expect.stringMatching(/older than/), latestId: kept.id });
    expect(client.events).toEqual([]);
  });

  it('loses nothing when the server ends the stream and the EventSource reconnects by itself', async () => {
    const client = await new StreamClient(t.url, token('auto')).ready();
    const published = await publish(t, ['auto'], 'one');
    await client.waitForEvents(1);
    void t.streams.endAll();
    // Published while the client waits its retry delay (100 ms) to reconnect.
    published.push(...(await publish(t, ['auto'], 'two')), ...(await publish(t, '*', 'three')));
    await eventually(() => t.streams.countFor('auto') === 1, 'the EventSource to reconnect');
    published.push(...(await publish(t, ['auto'], 'four')));
    await client.waitForEvents(4);
    await sleep(100);
    expect(client.cursors).toEqual(published.map((n) => n.id));
  });

  it('gives every client exactly its sequence while clients drop and resume at random during a burst', async () => {
    // SQLite answers within one turn of the event loop, which would leave no room for a
    // publish to land during a replay. Slow the real store's reads down so that it does.
    const store = t.app.get(NotificationStore);
    const slow =
      <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const result = await read.apply(store, args);
        await sleep(Math.random() * 30);
        return result;
      };
    const original = { readAfter: store.readAfter, unreadCount: store.unreadCount };
    store.readAfter = slow(store.readAfter);
    store.unreadCount = slow(store.unreadCount);
    const users = ['s1', 's2', 's3', 's4', 's5'];
    const tokens = new Map(users.map((user) => [user, token(user, { roles: ['service'] })]));
    const sessions = new Map<string, { client: StreamClient; received: string[] }>();
    const connect = async (user: string) => {
      const previous = sessions.get(user);
      const received = previous ? [...previous.received, ...previous.client.cursors] : [];
      previous?.client.close();
      const lastEventId = received.at(-1);
      const client = new StreamClient(t.url, tokens.get(user)!, lastEventId ? { lastEventId } : {});
      sessions.set(user, { client, received });
      await client.ready();
    };
    await Promise.all(users.map(connect));
    // A client can only resume from a cursor it has: give each one before the burst.
    const published: Notification[] = await publish(t, '*', 'start');
    for (const user of users) await sessions.get(user)!.client.waitForEvents(1);

    let publishing = true;
    const churn = (async () => {
      let reconnects = 0;
      while (publishing) {
        await sleep(5 + Math.random() * 40);
        await connect(users[Math.floor(Math.random() * users.length)]);
        reconnects += 1;
      }
      return reconnects;
    })();
    try {
      for (let i = 0; i < 300; i++) {
        const roll = Math.random();
        const by = roll < 0.15 ? tokens.get(users[i % users.length])! : SERVICE_TOKEN;
        const some = users.filter(() => Math.random() < 0.4).concat(users[i % users.length]);
        published.push(
          ...(await publish(t, roll < 0.3 ? '*' : [...new Set(some)], `n${i}`, { by })),
        );
      }
    } finally {
      publishing = false;
    }
    const reconnects = await churn;
    Object.assign(store, original);
    expect(reconnects).toBeGreaterThan(20);

    for (const user of users) {
      const expected = expectedFor(user, published);
      const all = () => [...sessions.get(user)!.received, ...sessions.get(user)!.client.cursors];
      await eventually(() => all().length >= expected.length, `${user} to catch up`, 10000);
      await sleep(50);
      expect(all()).toEqual(expected);
    }
  }, 60000);
});

describe('A restart with the same DATA_DIR', () => {
  it('keeps notifications, read state, cursors and workflows, and resumes across it', async () => {
    const dataDir = makeDataDir();
    try {
      const before = await startApp({ DATA_DIR: dataDir });
      const client = await new StreamClient(before.url, token('bob')).ready();
      const [first] = await publish(before, ['bob'], 'before the restart');
      const [second] = await publish(before, '*', 'broadcast before');
      await client.waitForEvents(2);
      client.close();
      await request(before.url)
        .post(`/notifications/${first.id}/read`)
        .set(bearer(token('bob')))
        .expect(204);
      const started = await startWorkflow(before, 'alice', { name: 'Budget', approvers: ['bob'] });
      const workflowStarted = (
        await request(before.url)
          .get('/notifications')
          .set(bearer(token('bob')))
      ).body as { items: Notification[] };
      await before.close();

      const after = await startApp({ DATA_DIR: dataDir });
      try {
        const [third] = await publish(after, ['bob'], 'after the restart');
        expect(BigInt(third.id)).toBeGreaterThan(BigInt(workflowStarted.items[0].id));
        const resumed = await new StreamClient(after.url, token('bob'), {
          lastEventId: second.id,
        }).ready();
        await resumed.waitForEvents(2);
        expect(resumed.cursors).toEqual([workflowStarted.items[0].id, third.id]);
        resumed.close();

        const inbox = (
          await request(after.url)
            .get('/notifications')
            .set(bearer(token('bob')))
            .expect(200)
        ).body as { items: (Notification & { read: boolean })[] };
        expect(inbox.items.map((n) => [n.title, n.read])).toEqual([
          ['after the restart', false],
          [expect.stringContaining('Budget'), false],
          ['broadcast before', false],
          ['before the restart', true],
        ]);
        const workflowId = started.id;
        await request(after.url)
          .post(`/workflows/${workflowId}/approve`)
          .set(bearer(token('bob')))
          .send({ comment: 'ok' })
          .expect(201);
        await request(after.url)
          .post(`/workflows/${workflowId}/approve`)
          .set(bearer(token('bob')))
          .send({})
          .expect(409);
      } finally {
        closeAllClients();
        await after.close();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });
});

describe('A store that cannot write', () => {
  const errors: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    warn: () => undefined,
    error: (...parts: unknown[]) => errors.push(parts.map(String).join(' ')),
  };
  let t: TestApp;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = makeDataDir();
    t = await startApp({ DATA_DIR: dataDir }, logger);
  });
  afterAll(async () => {
    closeAllClients();
    await t.close();
    removeDataDir(dataDir);
  });

  it('answers 503 and logs an error instead of dropping the notification, and publishes nothing', async () => {
    const client = await new StreamClient(t.url, token('carol')).ready();
    // Another process holds the database's write lock (as a stuck writer or a full disk would block writes).
    const other = new Database(join(dataDir, 'notifications.db'));
    other.exec('BEGIN EXCLUSIVE');
    try {
      const res = await request(t.url)
        .post('/notifications')
        .set(bearer(SERVICE_TOKEN))
        .send({ recipients: ['carol'], type: 'test.ping', title: 'lost?' });
      expect(res.status).toBe(503);
      expect((res.body as { message: string }).message).toMatch(/could not save/);
      expect(errors.some((line) => /could not append 1 notification/.test(line))).toBe(true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const [after] = await publish(t, ['carol'], 'after the lock');
    await client.waitForEvents(1);
    await sleep(100);
    expect(client.cursors).toEqual([after.id]);
  });
});
