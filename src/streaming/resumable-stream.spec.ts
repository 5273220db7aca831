import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { REPLAY_PAGE, RESET_REASONS, ResumableStream } from './resumable-stream.js';
import { T0, transport } from '../testing/sse-transport.js';
import type { SseConnection } from './sse-connection.js';

/** A stream over an open connection whose sink records what it is written. */
function connect() {
  const written: string[] = [];
  const connection = transport();
  connection.open({ write: (chunk) => written.push(String(chunk)) }, () => undefined);
  return { connection: new ResumableStream(connection, 'alice'), written };
}

describe(ResumableStream.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('send', () => {
    it('keeps what is sent before it opens and writes it after retry:', () => {
      const written: string[] = [];
      const unopened = transport({ heartbeatMs: 100_000 });
      const connection = new ResumableStream(unopened, 'alice');
      connection.send('id: 1\ndata: early\n\n', '1');
      unopened.open({ write: (chunk) => written.push(String(chunk)) }, () => undefined);
      connection.send('id: 2\ndata: later\n\n', '2');
      expect(written).toEqual([
        'retry: 3000\n\n',
        'id: 1\ndata: early\n\n',
        'id: 2\ndata: later\n\n',
      ]);
    });
  });

  describe('holdLive and goLive', () => {
    it('holds live events during a replay and sends only those the replay did not carry', () => {
      const { connection, written } = connect();
      connection.holdLive('10');
      connection.send('live-11', '11');
      connection.send('count', null);
      connection.send('live-12', '12');
      connection.replay('replay-11', '11');
      connection.goLive();
      expect(written.slice(1)).toEqual(['replay-11', 'count', 'live-12']);
    });

    it('drops live events at or before the resume cursor', () => {
      const { connection, written } = connect();
      connection.holdLive('10');
      connection.goLive();
      connection.send('old', '9');
      connection.send('same', '10');
      connection.send('new', '11');
      expect(written.slice(1)).toEqual(['new']);
    });

    it('never sends a notification twice or out of order once live', () => {
      const { connection, written } = connect();
      connection.send('a', '5');
      connection.send('again', '5');
      connection.send('older', '4');
      connection.send('b', '6');
      expect(written.slice(1)).toEqual(['a', 'b']);
    });

    it('forgets the resume cursor after a reset', () => {
      const { connection, written } = connect();
      connection.holdLive('999');
      connection.send('held', '3');
      connection.goLive({ fromScratch: true });
      expect(written.slice(1)).toEqual(['held']);
    });

    it('writes what a dropped event leaves behind (ifDropped) instead of the event', () => {
      const { connection, written } = connect();
      connection.holdLive('10');
      connection.goLive();
      connection.send('event+count', '9', 'count');
      expect(written.slice(1)).toEqual(['count']);
    });
  });

  describe('what it holds behind a replay', () => {
    function replaying(maxBufferedBytes: number) {
      const abort = jest.fn<() => void>();
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const stalled = transport({ userId: 'stalled', maxBufferedBytes, onClose });
      stalled.open({ write: () => undefined, buffered: () => 0, abort }, () => undefined);
      const connection = new ResumableStream(stalled, 'stalled');
      connection.holdLive('10');
      return { connection, transport: stalled, abort, onClose };
    }

    it('counts against maxBufferedBytes: over it, the stream is dropped as a slow consumer', () => {
      const { connection, transport, abort, onClose } = replaying(100);
      connection.send('x'.repeat(60), '11');
      expect(abort).not.toHaveBeenCalled();
      connection.send('x'.repeat(60), '12');
      expect(abort).toHaveBeenCalledTimes(1);
      expect(onClose).toHaveBeenCalledWith(transport, 'slow-consumer');
      expect(transport.heldBytes).toBe(0);
    });

    it('no longer counts once it has been sent', () => {
      const { connection, transport, abort } = replaying(100);
      connection.send('x'.repeat(60), '11');
      connection.goLive();
      connection.holdLive();
      connection.send('x'.repeat(60), '12');
      expect(abort).not.toHaveBeenCalled();
      expect(transport.heldBytes).toBe(60);
    });
  });

  describe('replayThenLive', () => {
    const page = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ id: String(from + i) }));

    it('reads page after page until a short one, then sends the held events it did not carry', async () => {
      jest.useRealTimers();
      const { connection, written } = connect();
      connection.holdLive('0');
      connection.send('live-2', '2');
      connection.send(`live-${REPLAY_PAGE + 6}`, String(REPLAY_PAGE + 6));
      const reads: (string | null)[] = [];
      const pages: number[] = [];
      await connection.replayThenLive(
        (after, limit) => {
          reads.push(after);
          return Promise.resolve(after === '0' ? page(1, limit) : page(REPLAY_PAGE + 1, 5));
        },
        (item) => `replay-${item.id}`,
        '0',
        (replayed) => pages.push(replayed.length),
      );
      expect(reads).toEqual(['0', String(REPLAY_PAGE)]);
      expect(pages).toEqual([REPLAY_PAGE, 5]);
      expect(written.slice(1)).toHaveLength(REPLAY_PAGE + 6);
      expect(written.at(-2)).toBe(`replay-${REPLAY_PAGE + 5}`);
      expect(written.at(-1)).toBe(`live-${REPLAY_PAGE + 6}`);
      expect(written).not.toContain('live-2');
      expect(connection.isLive).toBe(true);
      connection.close();
    });
  });

  describe('reset', () => {
    it('writes event: reset with the reason and the newest cursor', () => {
      const { connection, written } = connect();
      connection.reset('expired', '42');
      expect(written.at(-1)).toBe(
        `event: reset\ndata: ${JSON.stringify({ reason: RESET_REASONS.expired, latestId: '42' })}\n\n`,
      );
    });
  });

  describe('inTurn', () => {
    it('runs a task only once the previous one has finished, even a failed one', async () => {
      jest.useRealTimers();
      const { connection } = connect();
      const order: string[] = [];
      let finishFirst = () => undefined as void;
      const first = connection.inTurn(
        () =>
          new Promise<void>((resolve) => {
            finishFirst = () => {
              order.push('first');
              resolve();
            };
          }),
      );
      const failing = connection.inTurn(() => Promise.reject(new Error('broken')));
      const third = connection.inTurn(() => {
        order.push('third');
        return Promise.resolve();
      });
      await Promise.resolve();
      expect(order).toEqual([]);
      finishFirst();
      await first;
      await expect(failing).rejects.toThrow('broken');
      await third;
      expect(order).toEqual(['first', 'third']);
      connection.close();
    });
  });
});
