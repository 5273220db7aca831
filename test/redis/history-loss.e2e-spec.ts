import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { publish, SERVICE_TOKEN, untilStatus } from '../support/api.js';
import { eventually, sleep } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, StreamClient, type ReceivedEvent } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const titles = (events: readonly ReceivedEvent[]) =>
  events.map((event) => (JSON.parse(event.data) as Notification).title);

/** What a stream received after its first `count` notifications: types, with titles. */
function after(stream: StreamClient, count: number): string[] {
  const start = stream.received.indexOf(stream.events[count - 1]) + 1;
  return stream.received
    .slice(start)
    .filter((event) => event.type !== 'unread-count')
    .map((event) =>
      event.type === 'reset' ? 'reset' : (JSON.parse(event.data) as Notification).title,
    );
}

/**
 * CONTRACT.md, "The notification stream": a store that loses its history (here a Redis
 * without persistence, restarted empty) must not make streams skip what is stored after.
 */
describeWithRedis('A Redis that comes back without its data', () => {
  let pair: InstancePair | undefined;
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    pair = await startInstancePair();
    ({ redis, a, b } = pair);
  }, 30000);
  afterEach(() => closeAllClients());
  afterAll(() => pair?.stop());

  it('sends reset, then every new notification, to open streams; and reset to a resume from before', async () => {
    const aliceOnA = await new StreamClient(a.url, token('alice')).ready();
    const aliceOnB = await new StreamClient(b.url, token('alice')).ready();
    const bobOnB = await new StreamClient(b.url, token('bob')).ready();
    const before = [];
    for (let i = 1; i <= 6; i += 1) before.push(...(await publish(a.url, ['alice'], `old ${i}`)));
    before.push(...(await publish(b.url, '*', 'old broadcast')));
    for (const stream of [aliceOnA, aliceOnB]) await stream.waitForEvents(7);
    await bobOnB.waitForEvents(1);

    await redis.stop();
    await redis.start();
    for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 200, 15000);

    // Fewer than before, so every new cursor would be one an open stream already passed.
    const fresh = [
      ...(await publish(b.url, ['alice'], 'new 1')),
      ...(await publish(a.url, '*', 'new broadcast')),
      ...(await publish(a.url, ['alice', 'bob'], 'new 2')),
    ];
    const forAlice = ['new 1', 'new broadcast', 'new 2'];
    const aliceIds = fresh.filter((n) => n.recipient !== 'bob').map((n) => n.id);
    await eventually(
      () =>
        [aliceOnA, aliceOnB].every((stream) => stream.events.length >= 10) &&
        bobOnB.events.length >= 3,
      'every open stream to get the new notifications',
      10000,
    );
    await sleep(300);
    for (const stream of [aliceOnA, aliceOnB]) {
      expect(after(stream, 7)).toEqual(['reset', ...forAlice]);
      expect(stream.cursors.slice(7)).toEqual(aliceIds);
      // Still the first connection: the stream itself said reset, no reconnect did.
      expect(stream.errors).toEqual([]);
    }
    expect(after(bobOnB, 1)).toEqual(['reset', 'new broadcast', 'new 2']);
    const [reset] = aliceOnA.payloads<{ reason: string; latestId: string | null }>('reset');
    expect(reset.reason).toMatch(/lost|history/i);
    // The unread count after the loss is the new history's: 3 for alice.
    const counts = aliceOnA.payloads<{ count: number }>('unread-count').map((c) => c.count);
    expect(counts.at(-1)).toBe(3);

    // A client that missed all this resumes with a cursor from the lost history.
    const resumed = await new StreamClient(b.url, token('alice'), {
      lastEventId: before[0].id,
    }).ready();
    await eventually(() => resumed.controls.some((c) => c.type === 'reset'), 'reset on resume');
    expect(resumed.received[0].type).toBe('reset');
    expect(resumed.payloads<{ latestId: string }>('reset')[0].latestId).toBe(aliceIds.at(-1));
    const live = await publish(a.url, ['alice'], 'after the resume');
    await resumed.waitForEvents(1);
    expect(titles(resumed.events)).toEqual(['after the resume']);
    expect(resumed.cursors).toEqual(live.map((n) => n.id));

    // Cursors with an epoch page the inbox and mark read like any other.
    const inbox = (path: string) =>
      request(a.url)
        .get(path)
        .set(bearer(token('alice')))
        .expect(200);
    const first = (await inbox('/notifications?limit=1')).body as { nextBefore: string };
    const next = (await inbox(`/notifications?limit=1&before=${first.nextBefore}`)).body as {
      items: Notification[];
    };
    expect(next.items.map((n) => n.title)).toEqual(['new 2']);
    await request(b.url)
      .post(`/notifications/${next.items[0].id}/read`)
      .set(bearer(token('alice')))
      .expect(204);
  }, 60000);

  it('loses nothing stored after a restart in the middle of a burst from both instances', async () => {
    const streams = [
      await new StreamClient(a.url, token('carol')).ready(),
      await new StreamClient(b.url, token('carol')).ready(),
    ];
    let stored = 0;
    let running = true;
    const burst = (async () => {
      for (let i = 0; running; i += 1) {
        const res = await request(i % 2 ? a.url : b.url)
          .post('/notifications')
          .set(bearer(SERVICE_TOKEN))
          .send({ recipients: ['carol'], type: 'test.ping', title: `burst ${i}` });
        if (res.status === 201) stored += 1;
        else await sleep(20);
      }
    })();
    await eventually(() => stored >= 20, 'the burst to get going');
    await redis.stop();
    await redis.start();
    const restartedAt = stored;
    await eventually(
      () => stored >= restartedAt + 60,
      'the burst to go on after the restart',
      20000,
    );
    running = false;
    await burst;

    // Everything stored since the restart: the new history, which the inbox lists.
    const inbox = (
      await request(b.url)
        .get('/notifications?limit=100')
        .set(bearer(token('carol')))
        .expect(200)
    ).body as { items: Notification[] };
    const stillKept = inbox.items.map((n) => n.title).reverse();
    expect(stillKept.length).toBeGreaterThanOrEqual(60);
    for (const stream of streams) {
      await eventually(
        () => stream.events.at(-1)?.data.includes(`"${stillKept.at(-1)}"`) ?? false,
        'the stream to get the last notification',
        10000,
      );
      await sleep(200);
      const resets = stream.received.filter((event) => event.type === 'reset');
      expect(resets).toHaveLength(1);
      const afterReset = stream.received.slice(stream.received.indexOf(resets[0]) + 1);
      expect(titles(afterReset.filter((event) => event.type === 'test.ping'))).toEqual(stillKept);
      expect(stream.errors).toEqual([]);
    }
  }, 60000);
});
