import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { publish, SERVICE_TOKEN, startWorkflow, untilStatus } from '../support/api.js';
import { eventually, sleep } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { RawStream } from '../support/raw-stream.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

describeWithRedis('Two instances on one Redis', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    redis = await RedisServer.start({ persistent: true });
    const env = { REDIS_URL: redis.url, RETRY_MS: '200', HEARTBEAT_MS: '300' };
    [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
    for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 200);
  }, 30000);
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
  });

  it('delivers on A what is published on B, in order, once', async () => {
    const onA = await new StreamClient(a.url, token('alice')).ready();
    const published = [
      ...(await publish(b.url, ['alice'], 'one')),
      ...(await publish(a.url, '*', 'two')),
      ...(await publish(b.url, ['alice', 'bob'], 'three')).filter((n) => n.recipient === 'alice'),
    ];
    await request(b.url)
      .post('/messages')
      .set(bearer(token('carol')))
      .send({ text: 'hi', to: ['alice'] })
      .expect(201);
    await onA.waitForEvents(4);
    await sleep(200);
    expect(onA.cursors.slice(0, 3)).toEqual(published.map((n) => n.id));
    expect(onA.events.map((e) => e.type)).toEqual([
      'test.ping',
      'test.ping',
      'test.ping',
      'message.created',
    ]);
  });

  it('resumes on B with a cursor received from A', async () => {
    const onA = await new StreamClient(a.url, token('dave')).ready();
    const [seen] = await publish(a.url, ['dave'], 'seen on A');
    await onA.waitForEvents(1);
    onA.close();
    const missed = [
      ...(await publish(a.url, ['dave'], 'missed 1')),
      ...(await publish(b.url, '*', 'missed 2')),
    ];
    const onB = await new StreamClient(b.url, token('dave'), { lastEventId: seen.id }).ready();
    await onB.waitForEvents(2);
    await sleep(200);
    expect(onB.cursors).toEqual(missed.map((n) => n.id));
  });

  it('shares inbox state: read on B is read on A, and A’s streams get the new count', async () => {
    const onA = await new StreamClient(a.url, token('erin')).ready();
    const [first] = await publish(b.url, ['erin'], 'to read');
    await publish(a.url, ['erin'], 'to keep');
    await onA.waitForEvents(2);
    await request(b.url)
      .post(`/notifications/${first.id}/read`)
      .set(bearer(token('erin')))
      .expect(204);
    const page = (
      await request(a.url)
        .get('/notifications')
        .set(bearer(token('erin')))
        .expect(200)
    ).body as { items: (Notification & { read: boolean })[] };
    // Broadcasts of earlier tests are erin's too; her own two are what matter here.
    const own = page.items.filter((n) => n.recipient === 'erin');
    expect(own.map((n) => [n.title, n.read])).toEqual([
      ['to keep', false],
      ['to read', true],
    ]);
    const counts = () => onA.payloads<{ count: number }>('unread-count').map((c) => c.count);
    const initial = counts()[0];
    await eventually(() => counts().length === 4, 'A’s stream to get the count written on B');
    expect(counts()).toEqual([initial, initial + 1, initial + 2, initial + 1]);
  });

  it('holds one Redis subscription per instance, however many streams are open', async () => {
    const streams = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new StreamClient(i % 2 ? a.url : b.url, token(`many-${i}`)).ready(),
      ),
    );
    const admin = new Redis(redis.url);
    try {
      const [, subscribers] = (await admin.pubsub('NUMSUB', 'notification-hub:notifications')) as [
        string,
        number,
      ];
      expect(Number(subscribers)).toBe(2);
    } finally {
      admin.disconnect();
      streams.forEach((s) => s.close());
    }
  });

  it('survives a Redis outage: 503 meanwhile, streams kept open, nothing lost after', async () => {
    const onA = new RawStream(`${a.url}/notifications/stream`, bearer(token('frank')));
    const onB = await new StreamClient(b.url, token('frank')).ready();
    await onA.waitForBody('retry:');
    const [before] = await publish(b.url, ['frank'], 'before the outage');
    await onB.waitForEvents(1);

    await redis.stop();
    try {
      for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 503);
      const refused = await request(a.url)
        .post('/notifications')
        .set(bearer(SERVICE_TOKEN))
        .send({ recipients: ['frank'], type: 'test.ping', title: 'during' });
      expect(refused.status).toBe(503);
      const message = await request(b.url)
        .post('/messages')
        .set(bearer(token('gina')))
        .send({ text: 'during', to: ['frank'] });
      expect(message.status).toBe(503);
      const heartbeats = onA.body.split('\n').filter((line) => line.startsWith(':')).length;
      await sleep(700);
      expect(onA.body.split('\n').filter((line) => line.startsWith(':')).length).toBeGreaterThan(
        heartbeats,
      );
      expect(onA.ended).toBe(false);
      expect(onB.readyState).toBe(1);
    } finally {
      await redis.start();
    }

    for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 200, 15000);
    const [after] = await publish(a.url, ['frank'], 'after the outage');
    await onA.waitForBody('after the outage', 10000);
    await onB.waitForEvents(2);
    await sleep(200);
    expect(onB.cursors).toEqual([before.id, after.id]);
    expect(onA.body.match(/^id: /gm)).toHaveLength(2);
    const inbox = (
      await request(b.url)
        .get('/notifications')
        .set(bearer(token('frank')))
        .expect(200)
    ).body as { items: Notification[] };
    expect(inbox.items.filter((n) => n.recipient === 'frank').map((n) => n.title)).toEqual([
      'after the outage',
      'before the outage',
    ]);
    onA.close();
  }, 60000);

  it('on SIGTERM ends its streams and exits 0 within 10 s, while the other instance serves on', async () => {
    const leaving = await Instance.start({ REDIS_URL: redis.url });
    const stream = new RawStream(`${leaving.url}/notifications/stream`, bearer(token('hank')));
    await stream.waitForBody('retry:');
    const signalledAt = Date.now();
    expect(await leaving.stop('SIGTERM')).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10000);
    await stream.waitForEnd();
    await request(a.url).get('/health/ready').expect(200);
  }, 30000);

  it('waits for a Redis that comes up late before it listens, then serves a stream at once', async () => {
    const late = await RedisServer.start();
    await late.stop();
    const starting = Instance.start({ REDIS_URL: late.url });
    await sleep(1000);
    await late.start();
    const instance = await starting;
    try {
      const output = instance.output;
      expect(output.indexOf('Redis (commands) ready')).toBeGreaterThan(-1);
      expect(output.indexOf('Redis (commands) ready')).toBeLessThan(output.indexOf('listening on'));
      const stream = await new StreamClient(instance.url, token('lena')).ready();
      const [sent] = await publish(instance.url, ['lena'], 'right after start');
      await stream.waitForEvents(1);
      expect(stream.cursors).toEqual([sent.id]);
      expect(stream.errors).toEqual([]);
      stream.close();
    } finally {
      expect(await instance.stop('SIGTERM')).toBe(0);
      await late.destroy();
    }
  }, 40000);

  it('runs WORKERS=2 worker processes on one port, each a full instance on the shared Redis', async () => {
    const workers = await Instance.start({ REDIS_URL: redis.url, WORKERS: '2' });
    try {
      await eventually(
        () => (workers.output.match(/listening on/g) ?? []).length === 2,
        'both workers to listen',
        20000,
      );
      expect(workers.output).toContain('Starting 2 workers');
      const stream = await new StreamClient(workers.url, token('ivy')).ready();
      const [sent] = await publish(a.url, ['ivy'], 'through a worker');
      await stream.waitForEvents(1);
      expect(stream.cursors).toEqual([sent.id]);
      stream.close();
    } finally {
      expect(await workers.stop('SIGTERM')).toBe(0);
    }
  }, 40000);

  it('exits non-zero under WORKERS when a worker fails its shutdown', async () => {
    const workers = await Instance.start({ REDIS_URL: redis.url, WORKERS: '2' });
    let stuck: number | null = null;
    try {
      await eventually(
        () => (workers.output.match(/listening on/g) ?? []).length === 2,
        'both workers to listen',
        20000,
      );
      const pids = [...workers.output.matchAll(/"pid":(\d+)[^\n]*listening on/g)].map((m) =>
        Number(m[1]),
      );
      expect(pids).toHaveLength(2);
      // A stopped worker cannot shut down; killed once the other has, it has failed its stop.
      stuck = pids[0];
      process.kill(stuck, 'SIGSTOP');
      const exited = workers.stop('SIGTERM');
      await sleep(500);
      process.kill(stuck, 'SIGKILL');
      stuck = null;
      expect(await exited).toBe(1);
      expect(workers.output).toMatch(/failed its shutdown/);
    } finally {
      if (stuck !== null) process.kill(stuck, 'SIGKILL');
      await workers.stop('SIGKILL');
    }
  }, 40000);

  it('streams a workflow timeline on B as it is written on A, and ends it', async () => {
    const { id } = await startWorkflow(a, 'jane', { name: 'Cross-instance', approvers: ['kim'] });
    const onB = new RawStream(`${b.url}/workflows/${id}/stream`, bearer(token('kim')));
    await onB.waitForBody('event: workflow.started');
    await request(a.url)
      .post(`/workflows/${id}/logs`)
      .set(bearer(SERVICE_TOKEN))
      .send({ lines: ['from A'] })
      .expect(201);
    await onB.waitForBody('from A');
    await request(a.url)
      .post(`/workflows/${id}/approve`)
      .set(bearer(token('kim')))
      .send({})
      .expect(201);
    await onB.waitForEnd();
    const ids = onB.body.match(/^id: \d+$/gm);
    expect(ids).toEqual(['id: 1', 'id: 2', 'id: 3']);
    expect(onB.body).toContain('event: end');
  });
});
