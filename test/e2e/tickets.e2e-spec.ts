import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { mintTicket, sendMessage, startWorkflow } from '../support/api.js';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

/** Records every line the application logs (the HTTP log included). */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...parts: unknown[]) => this.lines.push(parts.map(String).join(' '));
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
  fatal = this.log;
}

/** Stream tickets (CONTRACT.md, "Tokens"): one stream, once, within 60 s, as the minting user. */
describe('Stream tickets', () => {
  const logger = new RecordingLogger();
  let t: TestApp;
  const streams: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({}, logger);
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  const mint = (userToken = token('alice')) => mintTicket(t, userToken);

  function open(path: string, ticket: string, headers: Record<string, string> = {}): RawStream {
    const stream = new RawStream(`${t.url}${path}?ticket=${encodeURIComponent(ticket)}`, headers);
    streams.push(stream);
    return stream;
  }

  describe('POST /notifications/tickets', () => {
    it('answers 201 with a ticket and expiresIn 60', async () => {
      const response = await request(t.url)
        .post('/notifications/tickets')
        .set(bearer(token('alice')))
        .expect(201);
      expect(response.body).toEqual({
        ticket: expect.stringMatching(/^[\w-]{43}$/),
        expiresIn: 60,
      });
    });

    it('needs a token: 401 without one, and a ticket does not mint another', async () => {
      await request(t.url).post('/notifications/tickets').expect(401);
      const ticket = await mint();
      await request(t.url).post(`/notifications/tickets?ticket=${ticket}`).expect(401);
    });

    it('gives each ticket at most what is left of the minting token', async () => {
      const response = await request(t.url)
        .post('/notifications/tickets')
        .set(bearer(token('alice', { ttl: 20 })))
        .expect(201);
      expect((response.body as { expiresIn: number }).expiresIn).toBeLessThanOrEqual(20);
    });
  });

  describe('?ticket= on a stream', () => {
    it("opens the minting user's notification stream: their notifications, nobody else's", async () => {
      const stream = open('/notifications/stream', await mint(token('alice')));
      await stream.headersReceived();
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      await stream.waitForBody('retry:');
      await sendMessage(t, 'carol', ['bob'], 'for bob');
      await sendMessage(t, 'carol', ['alice'], 'for alice');
      await stream.waitForBody('for alice');
      expect(stream.body).not.toContain('for bob');
    });

    it('works once: the second use is 401, even while the first stream is open', async () => {
      const ticket = await mint();
      const first = open('/notifications/stream', ticket);
      await first.waitForBody('retry:');
      const second = await request(t.url).get(`/notifications/stream?ticket=${ticket}`).expect(401);
      expect(second.body).toMatchObject({
        statusCode: 401,
        message: expect.stringMatching(/ticket/),
      });
      first.close();
      await eventually(() => t.streams.size === 0, 'the first stream to close');
      await request(t.url).get(`/notifications/stream?ticket=${ticket}`).expect(401);
    });

    it('works once when used twice at the same moment', async () => {
      const ticket = await mint();
      const both = [open('/notifications/stream', ticket), open('/notifications/stream', ticket)];
      await Promise.all(both.map((stream) => stream.headersReceived()));
      expect(both.map((stream) => stream.status).sort()).toEqual([200, 401]);
    });

    it('is refused when unknown', async () => {
      await request(t.url).get('/notifications/stream?ticket=not-a-ticket').expect(401);
    });

    it("opens a workflow's timeline stream and a document's presence stream", async () => {
      const { id } = await startWorkflow(t, 'alice', { name: 'Release', approvers: ['bob'] });
      const timeline = open(`/workflows/${id}/stream`, await mint(token('bob')));
      await timeline.waitForBody('event: workflow.started');
      const presence = open('/documents/spec-1/presence/stream', await mint(token('bob')));
      await presence.waitForBody('event: snapshot');
    });

    it("gives no access the minting user lacks: another's workflow is 404, and the ticket is spent", async () => {
      const { id } = await startWorkflow(t, 'alice', { name: 'Private', approvers: ['bob'] });
      const ticket = await mint(token('mallory'));
      await request(t.url).get(`/workflows/${id}/stream?ticket=${ticket}`).expect(404);
      await request(t.url).get(`/notifications/stream?ticket=${ticket}`).expect(401);
    });

    it("lives until the minting token's exp: token-expiring at once, then the end", async () => {
      const stream = open('/notifications/stream', await mint(token('alice', { ttl: 3 })));
      await stream.waitForBody('event: token-expiring');
      await stream.waitForEnd(6000);
    });
  });

  describe('anywhere but a stream', () => {
    it('is useless on REST routes (401), and is not spent there', async () => {
      const ticket = await mint();
      const refused = await request(t.url).get(`/notifications?ticket=${ticket}`).expect(401);
      expect((refused.body as { message: string }).message).toMatch(/only opens a stream/);
      await request(t.url).get(`/notifications/unread-count?ticket=${ticket}`).expect(401);
      await request(t.url)
        .post(`/messages?ticket=${ticket}`)
        .send({ text: 'hi', to: ['bob'] })
        .expect(401);
      const stream = open('/notifications/stream', ticket);
      await stream.headersReceived();
      expect(stream.status).toBe(200);
    });

    it('is no token: refused as a bearer token or as ?access_token=', async () => {
      const ticket = await mint();
      await request(t.url).get('/notifications').set(bearer(ticket)).expect(401);
      await request(t.url).get(`/notifications/stream?access_token=${ticket}`).expect(401);
    });

    it('never reaches a log line', async () => {
      const ticket = await mint();
      const stream = open('/notifications/stream', ticket);
      await stream.waitForBody('retry:');
      await request(t.url).get(`/notifications/stream?ticket=${ticket}`).expect(401);
      await request(t.url).get(`/notifications?ticket=${ticket}`).expect(401);
      stream.close();
      await eventually(
        () => logger.lines.filter((line) => line.includes('ticket=[Redacted]')).length >= 3,
        'the request lines to be logged',
      );
      expect(logger.lines.join('\n')).not.toContain(ticket);
    });
  });
});
