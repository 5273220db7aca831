import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import request from 'supertest';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { TimelineStreamsService } from '../../src/timelines/timeline-streams.service.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const service = token('svc', { roles: ['service'] });

/**
 * A raw HTTP client that sends its request and then never reads a byte (an EventSource
 * would read everything): what the server holds for it can only grow.
 */
async function stalledStream(
  url: string,
  headers: Record<string, string>,
  path = '/notifications/stream',
): Promise<net.Socket> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('')}\r\n`);
  socket.pause();
  return socket;
}

/** `data` that gzip cannot shrink much: base64 of random bytes, `size` characters. */
const incompressible = (size: number) => randomBytes(Math.ceil((size * 3) / 4)).toString('base64');

describe('A client that stops reading (MAX_BUFFERED_BYTES)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ MAX_BUFFERED_BYTES: '65536', PUBLISH_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    closeAllClients();
    await t.close();
  });

  it('is dropped once its unsent data passes the limit, while the others get everything', async () => {
    const reader = await new StreamClient(t.url, token('reader'), { types: ['test.bulk'] }).ready();
    // A raw HTTP client that sends its request and then never reads a byte.
    const { port } = new URL(t.url);
    const stalled = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.write(
      `GET /notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token('stalled')}\r\n\r\n`,
    );
    stalled.pause();
    await eventually(() => t.streams.countFor('stalled') === 1, 'the stalled stream to open');

    // Broadcasts of about 10 KB each, until the stalled stream's buffers (the kernel's
    // socket buffers first, then the server's) hold more than the limit.
    const body = 'b'.repeat(9000);
    let sent = 0;
    while (t.streams.countFor('stalled') === 1 && sent < 2000) {
      await request(t.url)
        .post('/notifications')
        .set(bearer(service))
        .send({ recipients: '*', type: 'test.bulk', title: `n${sent}`, body })
        .expect(201);
      sent += 1;
    }
    expect(t.streams.countFor('stalled')).toBe(0);
    expect(sent).toBeLessThan(2000);
    const metrics = t.app.get(MetricsService);
    expect((await metrics.slowConsumersDropped.get()).values[0]?.value).toBe(1);

    await reader.waitForEvents(sent, `the reading client to get all ${sent}`);
    expect(reader.events).toHaveLength(sent);
    stalled.destroy();
  }, 60000);

  it("replays a history larger than the limit at the client's pace, without dropping it", async () => {
    const body = 'r'.repeat(9000);
    const first = await request(t.url)
      .post('/notifications')
      .set(bearer(service))
      .send({ recipients: ['returning'], type: 'test.bulk', title: 'seen', body })
      .expect(201);
    const seen = (first.body as { items: { id: string }[] }).items[0].id;
    // About 9 MB missed: more than the socket buffers take at once, 140 times the limit.
    for (let i = 0; i < 1000; i++) {
      await request(t.url)
        .post('/notifications')
        .set(bearer(service))
        .send({ recipients: ['returning'], type: 'test.bulk', title: `missed ${i}`, body })
        .expect(201);
    }
    const metrics = t.app.get(MetricsService);
    const dropsBefore = (await metrics.slowConsumersDropped.get()).values[0]?.value;
    // A raw client that reads in sips (64 KiB, then a 10 ms pause), so that the kernel's
    // socket buffers stay small and the replay has to wait for it.
    const { port } = new URL(t.url);
    const sipping = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => sipping.once('connect', resolve));
    sipping.write(
      `GET /notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: ${seen}\r\n` +
        `Authorization: Bearer ${token('returning')}\r\n\r\n`,
    );
    let text = '';
    let sinceSip = 0;
    let closed = false;
    sipping.setEncoding('latin1');
    sipping.on('data', (chunk: string) => {
      text += chunk;
      sinceSip += chunk.length;
      if (sinceSip < 65536) return;
      sinceSip = 0;
      sipping.pause();
      setTimeout(() => sipping.resume(), 10);
    });
    sipping.on('close', () => (closed = true));
    const titles = () => [...text.matchAll(/"title":"(missed \d+)"/g)].map((m) => m[1]);
    await eventually(() => titles().length === 1000 || closed, 'the whole history', 30000);
    expect(closed).toBe(false);
    expect(titles()).toEqual(Array.from({ length: 1000 }, (_, i) => `missed ${i}`));
    expect((await metrics.slowConsumersDropped.get()).values[0]?.value).toBe(dropsBefore);
    sipping.destroy();
  }, 60000);

  it('drops a gzip stream that stops reading: what the compressor holds counts', async () => {
    const metrics = t.app.get(MetricsService);
    const dropsBefore = (await metrics.slowConsumersDropped.get()).values[0]?.value ?? 0;
    const stalled = await stalledStream(t.url, {
      'Accept-Encoding': 'gzip',
      Authorization: `Bearer ${token('gzipped')}`,
    });
    await eventually(() => t.streams.countFor('gzipped') === 1, 'the stalled stream to open');
    // 48 KB that gzip barely shrinks: the compressor's queue grows by about that much each.
    let sent = 0;
    while (t.streams.countFor('gzipped') === 1 && sent < 400) {
      await request(t.url)
        .post('/notifications')
        .set(bearer(service))
        .send({
          recipients: ['gzipped'],
          type: 'test.bulk',
          title: `n${sent}`,
          data: { blob: incompressible(48000) },
        })
        .expect(201);
      sent += 1;
    }
    expect(t.streams.countFor('gzipped')).toBe(0);
    // The kernel's socket buffers take a few MB first; the service holds at most the limit.
    expect(sent).toBeLessThan(400);
    expect((await metrics.slowConsumersDropped.get()).values[0]?.value).toBe(dropsBefore + 1);
    stalled.destroy();
  }, 60000);

  it('drops a stream that stalls during its replay once what it holds behind it passes the limit', async () => {
    const padding = 'x'.repeat(50000);
    const publish = async (title: string) => {
      const response = await request(t.url)
        .post('/notifications')
        .set(bearer(service))
        .send({ recipients: ['replaying'], type: 'test.bulk', title, data: { blob: padding } })
        .expect(201);
      return (response.body as { items: { id: string }[] }).items[0].id;
    };
    const first = await publish('first');
    // About 15 MB to replay: more than the kernel's socket buffers take, so the replay stalls.
    for (let i = 0; i < 300; i++) await publish(`history ${i}`);
    const metrics = t.app.get(MetricsService);
    const dropsBefore = (await metrics.slowConsumersDropped.get()).values[0]?.value ?? 0;
    const stalled = await stalledStream(t.url, {
      'Last-Event-ID': first,
      Authorization: `Bearer ${token('replaying')}`,
    });
    await eventually(() => t.streams.countFor('replaying') === 1, 'the stalled stream to open');
    await eventually(
      () => !t.streams.connectionsOf('replaying')[0]?.isLive,
      'the replay to be under way',
    );
    await sleep(300);
    // Live notifications now wait behind the stalled replay.
    let live = 0;
    while (t.streams.countFor('replaying') === 1 && live < 100) await publish(`live ${live++}`);
    expect(t.streams.countFor('replaying')).toBe(0);
    expect(live).toBeLessThan(100);
    expect((await metrics.slowConsumersDropped.get()).values[0]?.value).toBe(dropsBefore + 1);
    stalled.destroy();

    // The client comes back with its cursor and gets everything, in order, once.
    const resumed = new StreamClient(t.url, token('replaying'), {
      types: ['test.bulk'],
      lastEventId: first,
    });
    const expected = [
      ...Array.from({ length: 300 }, (_, i) => `history ${i}`),
      ...Array.from({ length: live }, (_, i) => `live ${i}`),
    ];
    await eventually(() => resumed.events.length >= expected.length, 'the whole history', 30000);
    expect(resumed.payloads().map((n) => n.title)).toEqual(expected);
    resumed.close();
  }, 60000);

  it('drops a timeline stream that stalls during its replay while log lines keep coming', async () => {
    const workflow = (
      await request(t.url)
        .post('/workflows')
        .set(bearer(token('starter')))
        .send({ name: 'Long build', approvers: ['approver'] })
        .expect(201)
    ).body as { id: string };
    const timelines = t.app.get(TimelineStreamsService);
    // 15 lines of 4,000 bytes a request (the body limit is 64 KB).
    const lines = Array.from({ length: 15 }, () => 'l'.repeat(4000));
    const log = () =>
      request(t.url)
        .post(`/workflows/${workflow.id}/logs`)
        .set(bearer(service))
        .send({ lines })
        .expect(201);
    // About 15 MB of timeline: more than the kernel's socket buffers take.
    for (let i = 0; i < 250; i++) await log();
    const metrics = t.app.get(MetricsService);
    const dropsBefore = (await metrics.slowConsumersDropped.get()).values[0]?.value ?? 0;
    const stalled = await stalledStream(
      t.url,
      { Authorization: `Bearer ${token('approver')}` },
      `/workflows/${workflow.id}/stream`,
    );
    await eventually(() => timelines.size === 1, 'the stalled timeline stream to open');
    await sleep(300);
    let more = 0;
    while (timelines.size === 1 && more < 100) {
      await log();
      more += 1;
    }
    expect(timelines.size).toBe(0);
    expect(more).toBeLessThan(100);
    expect((await metrics.slowConsumersDropped.get()).values[0]?.value).toBe(dropsBefore + 1);
    stalled.destroy();
  }, 60000);
});
