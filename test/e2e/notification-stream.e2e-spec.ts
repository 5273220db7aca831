import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, openStreams } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const activeTimers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

const admin = token('admin-1', { roles: ['admin'] });
const service = token('billing', { roles: ['service'] });

describe('GET /notifications/stream', () => {
  let t: TestApp;
  const raws: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({ HEARTBEAT_MS: '200', RETRY_MS: '1500', MAX_STREAMS_PER_USER: '3' });
  });
  afterEach(async () => {
    closeAllClients();
    raws.splice(0).forEach((raw) => raw.close());
    // Every test ends with every stream gone from the server: nothing leaks between tests.
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  const open = (...tokens: string[]) => openStreams(t.url, ...tokens);
  const raw = (jwtToken: string, headers: Record<string, string> = {}) => {
    const stream = new RawStream(`${t.url}/notifications/stream`, {
      ...bearer(jwtToken),
      ...headers,
    });
    raws.push(stream);
    return stream;
  };
  const notify = (recipients: string[] | '*', title: string, by = service) =>
    request(t.url)
      .post('/notifications')
      .set(bearer(by))
      .send({ recipients, type: 'test.ping', title })
      .expect(201);

  describe('framing', () => {
    it('answers 200 with the SSE headers flushed before any event', async () => {
      const stream = await raw(token('hdr')).headersReceived();
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['cache-control']).toMatch(/no-cache/);
      expect(stream.headers['x-accel-buffering']).toBe('no');
    });

    it('sends retry: RETRY_MS as the first field, without an id', async () => {
      const stream = raw(token('retry'));
      await stream.waitForBody('retry:');
      const firstField = stream.body
        .split('\n')
        .find((line) => line !== '' && !line.startsWith(':'));
      expect(firstField).toBe('retry: 1500');
      expect(stream.blocks[0]).toBe('retry: 1500');
    });

    it('sends a comment heartbeat every HEARTBEAT_MS', async () => {
      const stream = raw(token('beat'));
      await stream.waitForBody('retry:');
      await sleep(700);
      const comments = stream.blocks.filter((block) => block.startsWith(':'));
      expect(comments.length).toBeGreaterThanOrEqual(2);
      expect(comments.length).toBeLessThanOrEqual(5);
    });

    it('frames a notification as id, event and one line of JSON data', async () => {
      const stream = raw(token('frame-user'));
      await stream.waitForBody('retry:');
      const response = await notify(['frame-user'], 'Framed');
      const [sent] = (response.body as { items: { id: string }[] }).items;
      await stream.waitForBody('Framed');
      const block = stream.blocks.find((b) => b.includes('Framed'))!;
      const lines = block.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toBe(`id: ${sent.id}`);
      expect(lines[1]).toBe('event: test.ping');
      expect(JSON.parse(lines[2].slice('data: '.length))).toEqual({
        id: sent.id,
        type: 'test.ping',
        recipient: 'frame-user',
        actorId: 'billing',
        title: 'Framed',
        body: '',
        data: {},
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    });

    it('never puts an id on anything but notifications', async () => {
      const stream = raw(token('ids'));
      await stream.waitForBody('retry:');
      await notify(['ids'], 'One');
      await notify('*', 'Two', admin);
      await stream.waitForBody('Two');
      await sleep(300);
      const idLines = stream.body.split('\n').filter((line) => line.startsWith('id:'));
      expect(idLines).toHaveLength(2);
      for (const block of stream.blocks) {
        expect(block.startsWith('id: ') || !block.includes('id:')).toBe(true);
      }
    });

    it('cannot be split by a title carrying newlines and fake fields', async () => {
      const client = (await open(token('victim')))[0];
      const evil = 'hello\n\nevent: x\ndata: y\r\nid: 999\r\rretry: 1';
      await request(t.url)
        .post('/messages')
        .set(bearer(token('mallory')))
        .send({ text: evil, to: ['victim'] })
        .expect(201);
      await notify(['victim'], evil);
      await client.waitForEvents(2);
      await sleep(100);
      expect(client.events.map((event) => event.type)).toEqual(['message.created', 'test.ping']);
      expect(client.payloads<{ body: string }>('message.created')[0].body).toBe(evil);
      expect(client.payloads<{ title: string }>('test.ping')[0].title).toBe(evil);
      expect(client.events.every((event) => event.lastEventId !== '999')).toBe(true);
    });
  });

  describe('routing', () => {
    it('delivers a targeted notification to its recipient only', async () => {
      const [alice, bob, carol] = await open(token('alice'), token('bob'), token('carol'));
      await notify(['bob'], 'for bob');
      await notify(['carol'], 'for carol');
      await bob.waitForEvents(1);
      await carol.waitForEvents(1);
      await sleep(150);
      expect(bob.payloads().map((n) => n.title)).toEqual(['for bob']);
      expect(carol.payloads().map((n) => n.title)).toEqual(['for carol']);
      expect(alice.events).toEqual([]);
    });

    it('delivers a broadcast to every stream but the actor', async () => {
      const [actor, u1, u2] = await open(
        token('announcer', { roles: ['admin'] }),
        token('u1'),
        token('u2'),
      );
      await request(t.url)
        .post('/announcements')
        .set(bearer(token('announcer', { roles: ['admin'] })))
        .send({ title: 'Maintenance', body: 'Tonight' })
        .expect(201);
      await u1.waitForEvents(1);
      await u2.waitForEvents(1);
      await sleep(150);
      for (const client of [u1, u2]) {
        expect(client.payloads('announcement')).toEqual([
          expect.objectContaining({ recipient: '*', actorId: 'announcer', title: 'Maintenance' }),
        ]);
      }
      expect(actor.events).toEqual([]);
    });

    it('does not notify the actor even when listed as a recipient', async () => {
      const [self, other] = await open(token('self'), token('other'));
      await request(t.url)
        .post('/messages')
        .set(bearer(token('self')))
        .send({ text: 'hi', to: ['self', 'other'] })
        .expect(201);
      await other.waitForEvents(1);
      await sleep(150);
      expect(self.events).toEqual([]);
    });

    it('delivers every notification to each of a user’s streams (tabs)', async () => {
      const [tab1, tab2] = await open(token('tabby'), token('tabby'));
      await notify(['tabby'], 'both tabs');
      await tab1.waitForEvents(1);
      await tab2.waitForEvents(1);
      expect(tab1.events[0].lastEventId).toBe(tab2.events[0].lastEventId);
      expect(tab1.payloads()[0].title).toBe('both tabs');
    });

    it('delivers in cursor order', async () => {
      const [client] = await open(token('ordered'));
      for (let i = 0; i < 20; i++) await notify(['ordered'], `n${i}`);
      await client.waitForEvents(20);
      const ids = client.events.map((event) => BigInt(event.lastEventId));
      expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
      expect(client.payloads().map((n) => n.title)).toEqual(
        Array.from({ length: 20 }, (_, i) => `n${i}`),
      );
    });
  });

  describe('limits and cleanup', () => {
    it('answers 429 for a stream beyond MAX_STREAMS_PER_USER, and frees the slot on close', async () => {
      const streams = await open(token('greedy'), token('greedy'), token('greedy'));
      const res = await fetch(`${t.url}/notifications/stream`, {
        headers: bearer(token('greedy')),
      });
      expect(res.status).toBe(429);
      expect(((await res.json()) as { message: string }).message).toMatch(/MAX_STREAMS_PER_USER/);
      await open(token('someone-else'));
      streams[0].close();
      await eventually(() => t.streams.countFor('greedy') === 2, 'the closed stream to be freed');
      await open(token('greedy'));
    });

    it('leaves no stream, timer or map entry behind, and no duplicates, after many opens and closes', async () => {
      const timersBefore = activeTimers();
      for (let round = 0; round < 10; round++) {
        const batch = await open(token('churn'), token('churn'), token('churner'));
        batch.forEach((client) => client.close());
        // Closing is the client's TCP close; the server notices it a moment later.
        await eventually(() => t.streams.countFor('churn') === 0, 'the closed streams to go');
      }
      await eventually(() => t.streams.size === 0, 'every closed stream to be removed');
      expect(t.streams.userCount).toBe(0);
      // Each open stream holds a heartbeat and an expiry timer; all must be gone again.
      await eventually(() => activeTimers() <= timersBefore, 'the streams’ timers to be cleared');
      const [client] = await open(token('churn'));
      expect(t.streams.userCount).toBe(1);
      await notify(['churn'], 'once');
      await client.waitForEvents(1);
      await sleep(200);
      expect(client.events).toHaveLength(1);
      client.close();
      await eventually(() => t.streams.userCount === 0, 'the user entry to be removed');
    });

    // Issue 16: three timers and their closures per idle stream were memory held for each.
    it('beats every idle stream from a few shared timers, not from timers of its own', async () => {
      const timersBefore = activeTimers();
      const idle = Array.from({ length: 30 }, (_, i) => raw(token(`idle-${i}`)));
      await Promise.all(idle.map((stream) => stream.waitForBody('retry:')));
      await eventually(
        () => idle.every((stream) => stream.blocks.some((block) => block.startsWith(':'))),
        'a heartbeat on every stream',
      );
      expect(activeTimers() - timersBefore).toBeLessThanOrEqual(3);
    });

    it('removes a stream whose client vanished without closing', async () => {
      const stream = raw(token('vanisher'));
      await stream.waitForBody('retry:');
      expect(t.streams.size).toBe(1);
      stream.close();
      await eventually(() => t.streams.size === 0, 'the vanished stream to be removed');
    });
  });
});
