import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { InMemoryPresenceState } from '../../src/storage/memory/in-memory-presence-state.js';
import { PresenceState } from '../../src/presence/presence-state.js';
import { PresenceService } from '../../src/presence/presence.service.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const PRESENCE_TYPES = ['snapshot', 'join', 'move', 'leave'];

interface Snapshot {
  users: { userId: string; x: number; y: number }[];
}

describe('Presence on a shared document', () => {
  let t: TestApp;
  let presence: PresenceService;
  const raws: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({ HEARTBEAT_MS: '200', RETRY_MS: '200' });
    presence = t.app.get(PresenceService);
  });
  afterEach(async () => {
    closeAllClients();
    raws.splice(0).forEach((raw) => raw.close());
    // Every stream gone from the server, with its map entries and coalescing timers.
    await eventually(
      () => Object.values(presence.counts).every((count) => count === 0),
      'every presence stream, map entry and timer to be gone',
    );
    expect(t.app.get<PresenceState, InMemoryPresenceState>(PresenceState).documentCount).toBe(0);
  });
  afterAll(() => t.close());

  const path = (doc: string) => `/documents/${doc}/presence`;

  /** Opens a presence stream and waits for its snapshot. */
  async function watch(userId: string, doc: string, ttl?: number): Promise<StreamClient> {
    const client = new StreamClient(t.url, token(userId, { ttl }), {
      path: `${path(doc)}/stream`,
      types: PRESENCE_TYPES,
    });
    await client.ready();
    await eventually(() => client.received.length > 0, `the snapshot of ${userId}`);
    return client;
  }

  const move = (userId: string, doc: string, x: number, y: number) =>
    request(t.url)
      .post(path(doc))
      .set(bearer(token(userId)))
      .send({ x, y })
      .expect(204);

  const of = (client: StreamClient, type: string) => client.payloads(type);
  const snapshotOf = (client: StreamClient) => {
    expect(client.received[0].type).toBe('snapshot');
    return JSON.parse(client.received[0].data) as Snapshot;
  };

  describe('GET /documents/:id/presence/stream', () => {
    it('starts with a snapshot of every present user with a known position', async () => {
      await watch('ann', 'doc-snap');
      await move('ann', 'doc-snap', 10.5, -3);
      await watch('cat', 'doc-snap'); // present, never moved: not in the snapshot
      const bob = await watch('bob', 'doc-snap');
      expect(snapshotOf(bob)).toEqual({ users: [{ userId: 'ann', x: 10.5, y: -3 }] });
    });

    it('starts with an empty snapshot on a document nobody is on', async () => {
      const bob = await watch('bob', 'doc-empty');
      expect(snapshotOf(bob)).toEqual({ users: [] });
    });

    it('includes the watcher in its own snapshot once they moved (another tab)', async () => {
      await watch('ann', 'doc-self');
      await move('ann', 'doc-self', 1, 2);
      const secondTab = await watch('ann', 'doc-self');
      expect(snapshotOf(secondTab)).toEqual({ users: [{ userId: 'ann', x: 1, y: 2 }] });
    });

    it("sends join when a user's first stream opens, to the others only", async () => {
      const bob = await watch('bob', 'doc-join');
      const ann = await watch('ann', 'doc-join');
      await eventually(() => of(bob, 'join').length === 1, 'the join');
      expect(of(bob, 'join')).toEqual([{ userId: 'ann' }]);
      await sleep(100);
      expect(ann.received.map((event) => event.type)).toEqual(['snapshot']);
    });

    it("relays moves to the others but not to the mover's own streams", async () => {
      const bob = await watch('bob', 'doc-move');
      const ann = await watch('ann', 'doc-move');
      await move('ann', 'doc-move', 3, 4);
      await eventually(() => of(bob, 'move').length === 1, 'the move');
      expect(of(bob, 'move')).toEqual([{ userId: 'ann', x: 3, y: 4 }]);
      await sleep(100);
      expect(of(ann, 'move')).toEqual([]);
    });

    it("sends leave when the user's last stream closes, and forgets their position", async () => {
      const bob = await watch('bob', 'doc-leave');
      const ann = await watch('ann', 'doc-leave');
      await move('ann', 'doc-leave', 5, 6);
      ann.close();
      await eventually(() => of(bob, 'leave').length === 1, 'the leave');
      expect(of(bob, 'leave')).toEqual([{ userId: 'ann' }]);
      expect(bob.received.map((event) => event.type)).toEqual([
        'snapshot',
        'join',
        'move',
        'leave',
      ]);
      const later = await watch('cat', 'doc-leave');
      expect(snapshotOf(later)).toEqual({ users: [] });
    });

    it('makes two tabs one presence: one join, and leave only after the second closes', async () => {
      const bob = await watch('bob', 'doc-tabs');
      const first = await watch('ann', 'doc-tabs');
      const second = await watch('ann', 'doc-tabs');
      await move('ann', 'doc-tabs', 7, 8);
      await eventually(() => of(bob, 'move').length === 1, 'the move');
      first.close();
      await sleep(300);
      expect(of(bob, 'join')).toEqual([{ userId: 'ann' }]);
      expect(of(bob, 'leave')).toEqual([]);
      second.close();
      await eventually(() => of(bob, 'leave').length === 1, 'the leave');
    });

    it('keeps documents apart', async () => {
      const bob = await watch('bob', 'doc-a');
      await watch('ann', 'doc-b');
      await move('ann', 'doc-b', 1, 1);
      await sleep(200);
      expect(bob.received.map((event) => event.type)).toEqual(['snapshot']);
    });

    it('coalesces a burst of moves and still delivers the last position', async () => {
      const bob = await watch('bob', 'doc-burst');
      await watch('ann', 'doc-burst');
      const started = Date.now();
      for (let i = 1; i <= 50; i++) await move('ann', 'doc-burst', i, i * 2);
      const burstMs = Date.now() - started;
      await eventually(
        () => JSON.stringify(of(bob, 'move').at(-1)) === '{"userId":"ann","x":50,"y":100}',
        'the final position',
      );
      await sleep(150);
      const moves = of(bob, 'move');
      // At most one per 50 ms window, plus the leading one.
      expect(moves.length).toBeLessThanOrEqual(Math.ceil(burstMs / 50) + 2);
      expect(moves.length).toBeLessThan(25);
      expect(moves.at(-1)).toEqual({ userId: 'ann', x: 50, y: 100 });
    });

    it('coalesces several movers together, each keeping their last position', async () => {
      const bob = await watch('bob', 'doc-movers');
      const ann = await watch('ann', 'doc-movers');
      await watch('cat', 'doc-movers');
      await Promise.all(
        ['ann', 'cat'].map(async (userId) => {
          for (let i = 1; i <= 20; i++) await move(userId, 'doc-movers', i, 0);
        }),
      );
      const last = (client: StreamClient, userId: string) =>
        of(client, 'move')
          .filter((event) => event.userId === userId)
          .at(-1);
      await eventually(
        () => last(bob, 'ann')?.x === 20 && last(bob, 'cat')?.x === 20,
        'both final positions',
      );
      await eventually(() => last(ann, 'cat')?.x === 20, "cat's final position on ann's stream");
      expect(last(ann, 'ann')).toBeUndefined();
    });

    it('ends at the token’s exp, after token-expiring, and the user leaves', async () => {
      const bob = await watch('bob', 'doc-exp');
      const ann = await watch('ann', 'doc-exp', 2);
      expect(ann.received.map((event) => event.type)).toContain('token-expiring');
      await eventually(() => of(bob, 'leave').length === 1, 'the leave at exp', 5000);
      ann.close();
    });

    it('frames every event without an id: line, after retry:', async () => {
      const raw = new RawStream(`${t.url}${path('doc-raw')}/stream`, bearer(token('bob')));
      raws.push(raw);
      await raw.waitForBody('event: snapshot');
      const ann = await watch('ann', 'doc-raw');
      await move('ann', 'doc-raw', 1, 2);
      ann.close();
      await raw.waitForBody('event: leave');
      expect(raw.status).toBe(200);
      expect(raw.headers['content-type']).toMatch(/^text\/event-stream/);
      const events = raw.blocks.filter((block) => !block.startsWith(':'));
      expect(events).toEqual([
        'retry: 200',
        'event: snapshot\ndata: {"users":[]}',
        'event: join\ndata: {"userId":"ann"}',
        'event: move\ndata: {"userId":"ann","x":1,"y":2}',
        'event: leave\ndata: {"userId":"ann"}',
      ]);
      expect(raw.body.split('\n').filter((line) => line.startsWith('id:'))).toEqual([]);
    });

    it('answers 401 without a token, and 400 for a bad document id', async () => {
      const anonymous = new RawStream(`${t.url}${path('doc-401')}/stream`);
      raws.push(anonymous);
      await anonymous.headersReceived();
      expect(anonymous.status).toBe(401);
      const bad = await request(t.url)
        .get(`${path('bad%20id')}/stream`)
        .set(bearer(token('bob')))
        .expect(400);
      expect(JSON.stringify(bad.body)).toMatch(/\bid\b/);
    });
  });

  describe('POST /documents/:id/presence', () => {
    it('answers 204 for any authenticated user, even one with no stream (ignored)', async () => {
      const bob = await watch('bob', 'doc-ghost');
      await move('ghost', 'doc-ghost', 1, 1);
      await sleep(150);
      expect(bob.received.map((event) => event.type)).toEqual(['snapshot']);
      const later = await watch('cat', 'doc-ghost');
      expect(snapshotOf(later)).toEqual({ users: [] });
    });

    it('answers 401 without a token', async () => {
      await request(t.url).post(path('doc-1')).send({ x: 1, y: 2 }).expect(401);
    });

    const invalid: [string, string, string | Record<string, unknown>, RegExp][] = [
      ['a string for x', 'doc-1', { x: '1', y: 2 }, /x must be a finite number/],
      ['a missing y', 'doc-1', { x: 1 }, /y must be a finite number/],
      ['Infinity (1e999)', 'doc-1', '{"x": 1e999, "y": 0}', /x must be a finite number/],
      ['null', 'doc-1', { x: null, y: 0 }, /x must be a finite number/],
      ['an unknown field', 'doc-1', { x: 1, y: 2, z: 3 }, /property z should not exist/],
      ['a document id with a space', 'bad%20id', { x: 1, y: 2 }, /\bid\b.*document id/],
      ['a document id with a slash', 'a%2Fb', { x: 1, y: 2 }, /document id/],
      ['a 129-character document id', 'd'.repeat(129), { x: 1, y: 2 }, /document id/],
    ];
    it.each(invalid)('answers 400 naming the field for %s', async (_what, doc, body, message) => {
      const response = await request(t.url)
        .post(path(doc))
        .set({ ...bearer(token('ann')), 'Content-Type': 'application/json' })
        .send(body)
        .expect(400);
      expect(JSON.stringify(response.body)).toMatch(message);
    });

    it('accepts a 128-character document id of every allowed character', async () => {
      const doc = `Az09._-${'x'.repeat(121)}`;
      await move('ann', doc, 0, 0);
    });

    it('never puts presence in the inbox', async () => {
      const bob = await watch('bob', 'doc-inbox');
      const ann = await watch('ann', 'doc-inbox');
      await move('ann', 'doc-inbox', 1, 1);
      await move('bob', 'doc-inbox', 2, 2);
      ann.close();
      await eventually(() => of(bob, 'leave').length === 1, 'the leave');
      for (const userId of ['ann', 'bob']) {
        const inbox = await request(t.url)
          .get('/notifications')
          .set(bearer(token(userId)))
          .expect(200);
        expect(inbox.body).toEqual({ items: [], nextBefore: null });
        const unread = await request(t.url)
          .get('/notifications/unread-count')
          .set(bearer(token(userId)))
          .expect(200);
        expect(unread.body).toEqual({ count: 0 });
      }
    });
  });
});
