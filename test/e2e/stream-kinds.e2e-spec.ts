import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { StreamHub } from '../../src/streaming/stream-hub.js';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

type StreamLine = Record<string, unknown> & { event?: string; kind?: string };

/** Keeps the structured lines the streams log (the app's own logger receives them). */
class StreamLines implements LoggerService {
  readonly lines: StreamLine[] = [];
  log(message: unknown): void {
    if (typeof message === 'object' && message !== null && 'event' in message) {
      this.lines.push(message as StreamLine);
    }
  }
  error(): void {}
  warn(): void {}
}

/**
 * Every kind of stream has one owner, the StreamHub: each is logged when it opens and
 * when it closes (kind, user, duration, reason), and leaves the hub by itself on close.
 */
describe('Streams of every kind, through one hub', () => {
  let t: TestApp;
  const logger = new StreamLines();

  beforeAll(async () => {
    t = await startApp({}, logger);
  });
  afterAll(() => t.close());

  const linesOf = (kind: string, event: string) =>
    logger.lines.filter((line) => line.kind === kind && line.event === event);

  it('logs the open and the close of a timeline stream and of a presence stream', async () => {
    const workflow = await request(t.url)
      .post('/workflows')
      .set(bearer(token('tia')))
      .send({ name: 'Logged', approvers: ['uma'] })
      .expect(201);
    const id = (workflow.body as { id: string }).id;
    const timeline = new RawStream(`${t.url}/workflows/${id}/stream`, bearer(token('tia')));
    const presence = new RawStream(
      `${t.url}/documents/logged/presence/stream`,
      bearer(token('uma')),
    );
    await timeline.waitForBody('retry:');
    await presence.waitForBody('event: snapshot');
    expect(t.app.get(StreamHub).size).toBe(2);

    timeline.close();
    presence.close();
    await eventually(() => t.app.get(StreamHub).size === 0, 'both streams to leave the hub');

    expect(linesOf('timeline', 'stream.opened')).toEqual([
      expect.objectContaining({ userId: 'tia', resumed: false }),
    ]);
    expect(linesOf('presence', 'stream.opened')).toEqual([
      expect.objectContaining({ userId: 'uma', resumed: false }),
    ]);
    for (const [kind, userId] of [
      ['timeline', 'tia'],
      ['presence', 'uma'],
    ]) {
      expect(linesOf(kind, 'stream.closed')).toEqual([
        expect.objectContaining({ userId, reason: 'client-left', durationMs: expect.any(Number) }),
      ]);
    }
  });
});
