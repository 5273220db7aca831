import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { eventually, sleep } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const PRESENCE_TTL_MS = 3000;

describeWithRedis('Presence across instances on one Redis', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;
  const env = () => ({
    REDIS_URL: redis.url,
    RETRY_MS: '200',
    HEARTBEAT_MS: '300',
    PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
  });

  /** Starts an instance and waits until its Redis connections are up (before, streams get 503). */
  async function start(extra: Record<string, string> = {}): Promise<Instance> {
    const instance = await Instance.start({ ...env(), ...extra });
    const deadline = Date.now() + 10000;
    while ((await request(instance.url).get('/health/ready')).status !== 200) {
      if (Date.now() > deadline) throw new Error(`${instance.url} never became ready`);
      await sleep(50);
    }
    return instance;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, b] = await Promise.all([start(), start()]);
  }, 30000);
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
  });

  async function watch(on: Instance, userId: string, doc: string): Promise<StreamClient> {
    const client = new StreamClient(on.url, token(userId), {
      path: `/documents/${doc}/presence/stream`,
      types: ['snapshot', 'join', 'move', 'leave'],
    });
    await client.ready();
    await eventually(() => client.received.length > 0, `the snapshot of ${userId}`);
    return client;
  }
  const move = (on: Instance, userId: string, doc: string, x: number, y: number) =>
    request(on.url)
      .post(`/documents/${doc}/presence`)
      .set(bearer(token(userId)))
      .send({ x, y })
      .expect(204);
  const of = (client: StreamClient, type: string) => client.payloads(type);

  it('shows on B a user present on A, in the snapshot and live', async () => {
    await watch(a, 'ann', 'r-snap');
    await move(a, 'ann', 'r-snap', 1.25, 2);
    const bob = await watch(b, 'bob', 'r-snap');
    expect(JSON.parse(bob.received[0].data)).toEqual({
      users: [{ userId: 'ann', x: 1.25, y: 2 }],
    });
  });

  it('relays join, move and leave from A to B, once each', async () => {
    const bob = await watch(b, 'bob', 'r-live');
    const ann = await watch(a, 'ann', 'r-live');
    await eventually(() => of(bob, 'join').length === 1, 'the join on B');
    await move(a, 'ann', 'r-live', 0.1 + 0.2, -7);
    await eventually(() => of(bob, 'move').length === 1, 'the move on B');
    // A move posted to another instance than the stream's is relayed all the same.
    await sleep(60);
    await move(b, 'ann', 'r-live', 8, 9);
    await eventually(() => of(bob, 'move').length === 2, 'the second move on B');
    ann.close();
    await eventually(() => of(bob, 'leave').length === 1, 'the leave on B');
    await sleep(200);
    expect(bob.received.map(({ type, data }) => [type, JSON.parse(data) as unknown])).toEqual([
      ['snapshot', { users: [] }],
      ['join', { userId: 'ann' }],
      ['move', { userId: 'ann', x: 0.1 + 0.2, y: -7 }],
      ['move', { userId: 'ann', x: 8, y: 9 }],
      ['leave', { userId: 'ann' }],
    ]);
  });

  it('makes tabs on two instances one presence', async () => {
    const bob = await watch(b, 'bob', 'r-tabs');
    const onA = await watch(a, 'ann', 'r-tabs');
    const onB = await watch(b, 'ann', 'r-tabs');
    await eventually(() => of(bob, 'join').length === 1, 'the join');
    onA.close();
    await sleep(400);
    expect(of(bob, 'join')).toHaveLength(1);
    expect(of(bob, 'leave')).toHaveLength(0);
    onB.close();
    await eventually(() => of(bob, 'leave').length === 1, 'the leave');
  });

  it('lets the users of a killed instance leave within the TTL', async () => {
    const doomed = await start();
    try {
      const bob = await watch(b, 'bob', 'r-kill');
      await watch(doomed, 'ann', 'r-kill');
      await move(doomed, 'ann', 'r-kill', 4, 4);
      await eventually(() => of(bob, 'move').length === 1, 'the move');
      await doomed.stop('SIGKILL');
      const killedAt = Date.now();
      // Swept at the latest one refresh interval (TTL / 4) after the entry expired.
      await eventually(() => of(bob, 'leave').length === 1, 'the leave', 2 * PRESENCE_TTL_MS);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(1.25 * PRESENCE_TTL_MS + 500);
      expect(of(bob, 'leave')).toEqual([{ userId: 'ann' }]);
      const later = await watch(a, 'cat', 'r-kill');
      expect(JSON.parse(later.received[0].data)).toEqual({ users: [] });
    } finally {
      await doomed.stop();
    }
  }, 20000);

  it('starts presence streams over after a Redis outage, since events were lost', async () => {
    const ownRedis = await RedisServer.start();
    const alone = await start({ REDIS_URL: ownRedis.url });
    try {
      const bob = await watch(alone, 'bob', 'r-outage');
      const ann = await watch(alone, 'ann', 'r-outage');
      await move(alone, 'ann', 'r-outage', 1, 1);
      await eventually(() => of(bob, 'move').length === 1, 'the move');
      await ownRedis.stop(); // loses everything: it keeps no data
      await sleep(500);
      await ownRedis.start();
      // The clients reconnect (RETRY_MS) and get a fresh snapshot; live events flow again.
      await eventually(() => of(bob, 'snapshot').length === 2, 'a second snapshot', 10000);
      await eventually(() => of(ann, 'snapshot').length === 2, "ann's second snapshot", 10000);
      await move(alone, 'ann', 'r-outage', 2, 2);
      await eventually(() => of(bob, 'move').length === 2, 'a move after the outage');
      expect(of(bob, 'move').at(-1)).toEqual({ userId: 'ann', x: 2, y: 2 });
    } finally {
      await alone.stop();
      await ownRedis.destroy();
    }
  }, 30000);

  it('lets the users of an instance shut down with SIGTERM leave at once', async () => {
    const leaving = await start();
    try {
      const bob = await watch(b, 'bob', 'r-term');
      await watch(leaving, 'ann', 'r-term');
      await eventually(() => of(bob, 'join').length === 1, 'the join');
      const stoppedAt = Date.now();
      expect(await leaving.stop('SIGTERM')).toBe(0);
      await eventually(() => of(bob, 'leave').length === 1, 'the leave', 2 * PRESENCE_TTL_MS);
      // Well before the TTL could have expired it.
      expect(Date.now() - stoppedAt).toBeLessThan(PRESENCE_TTL_MS);
    } finally {
      await leaving.stop();
    }
  }, 20000);
});
