import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SseConnection, type SseConnectionOptions } from './sse-connection.js';

const T0 = new Date('2030-01-01T00:00:00.000Z').getTime();

function connect(overrides: Partial<SseConnectionOptions> = {}) {
  const written: string[] = [];
  const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
  const endResponse = jest.fn<() => void>();
  const connection = new SseConnection({
    userId: 'alice',
    retryMs: 3000,
    heartbeatMs: 1000,
    expiresAt: new Date(T0 + 60_000),
    onClose,
    ...overrides,
  });
  connection.open({ write: (chunk) => written.push(String(chunk)) }, endResponse);
  return { connection, written, onClose, endResponse };
}

describe(SseConnection.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('open', () => {
    it('writes retry: first', () => {
      const { written } = connect();
      expect(written).toEqual(['retry: 3000\n\n']);
    });

    it('keeps what is sent before it opens and writes it after retry:', () => {
      const written: string[] = [];
      const connection = new SseConnection({
        userId: 'alice',
        retryMs: 3000,
        heartbeatMs: 100_000,
        expiresAt: new Date(T0 + 60_000),
        onClose: () => undefined,
      });
      connection.send('id: 1\ndata: early\n\n', '1');
      connection.open({ write: (chunk) => written.push(String(chunk)) }, () => undefined);
      connection.send('id: 2\ndata: later\n\n', '2');
      expect(written).toEqual([
        'retry: 3000\n\n',
        'id: 1\ndata: early\n\n',
        'id: 2\ndata: later\n\n',
      ]);
    });

    it('writes a comment every heartbeat interval', () => {
      const { written } = connect();
      jest.advanceTimersByTime(3500);
      expect(written.slice(1)).toEqual([':\n\n', ':\n\n', ':\n\n']);
    });

    it('warns 30 s before the token expires, not earlier', () => {
      const { written } = connect({ heartbeatMs: 100_000 });
      jest.advanceTimersByTime(29_999);
      expect(written.some((chunk) => chunk.includes('token-expiring'))).toBe(false);
      jest.advanceTimersByTime(1);
      expect(written.at(-1)).toBe(
        'event: token-expiring\ndata: {"expiresAt":"2030-01-01T00:01:00.000Z"}\n\n',
      );
    });

    it('warns at once when less than 30 s are left', () => {
      const { written } = connect({ expiresAt: new Date(T0 + 5000) });
      expect(written[1]).toContain('event: token-expiring');
    });

    it('ends the response and cleans up when the token expires', () => {
      const { connection, endResponse, onClose } = connect();
      jest.advanceTimersByTime(59_999);
      expect(endResponse).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(endResponse).toHaveBeenCalledTimes(1);
      expect(onClose).toHaveBeenCalledWith(connection, 'token-expired');
      expect(connection.timerCount).toBe(0);
    });

    it('waits correctly for an exp beyond the 24.8-day limit of one timer', () => {
      const farAway = 40 * 24 * 3600 * 1000;
      const { endResponse, written } = connect({
        expiresAt: new Date(T0 + farAway),
        heartbeatMs: 10 ** 9,
      });
      jest.advanceTimersByTime(farAway - 30_001);
      expect(written.some((chunk) => chunk.includes('token-expiring'))).toBe(false);
      expect(endResponse).not.toHaveBeenCalled();
      jest.advanceTimersByTime(30_001);
      expect(endResponse).toHaveBeenCalledTimes(1);
    });
  });

  describe('close', () => {
    it('stops every timer, tells its owner once, and writes nothing more', () => {
      const { connection, written, onClose } = connect();
      connection.close();
      connection.close();
      jest.advanceTimersByTime(120_000);
      expect(written).toEqual(['retry: 3000\n\n']);
      expect(onClose).toHaveBeenCalledTimes(1);
      expect(connection.timerCount).toBe(0);
      expect(connection.isOpen).toBe(false);
    });

    it('does not end the response itself (the client already left)', () => {
      const { connection, endResponse } = connect();
      connection.close();
      expect(endResponse).not.toHaveBeenCalled();
    });
  });

  describe('write', () => {
    it('forwards a frame to the sink while open', () => {
      const { connection, written } = connect();
      connection.write('id: 1\ndata: x\n\n');
      expect(written.at(-1)).toBe('id: 1\ndata: x\n\n');
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
  });

  describe('a slow consumer', () => {
    it('is dropped once its unsent data exceeds maxBufferedBytes, and never written to again', () => {
      let buffered = 0;
      const written: string[] = [];
      const abort = jest.fn<() => void>();
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const connection = new SseConnection({
        userId: 'slow',
        retryMs: 3000,
        heartbeatMs: 1000,
        expiresAt: new Date(T0 + 60_000),
        maxBufferedBytes: 100,
        onClose,
      });
      const sink = {
        write: (chunk: string) => {
          written.push(chunk);
          buffered += chunk.length;
        },
        buffered: () => buffered,
        abort,
      };
      connection.open(sink, () => undefined);
      connection.write('x'.repeat(80));
      expect(abort).not.toHaveBeenCalled();
      connection.write('x'.repeat(30));
      expect(abort).toHaveBeenCalledTimes(1);
      expect(onClose).toHaveBeenCalledWith(connection, 'slow-consumer');
      expect(connection.timerCount).toBe(0);
      connection.write('after');
      jest.advanceTimersByTime(5000);
      expect(written).toHaveLength(3);
    });
  });

  describe('what it holds behind a replay', () => {
    function replaying(maxBufferedBytes: number) {
      const abort = jest.fn<() => void>();
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const connection = new SseConnection({
        userId: 'stalled',
        retryMs: 3000,
        heartbeatMs: 1000,
        expiresAt: new Date(T0 + 60_000),
        maxBufferedBytes,
        onClose,
      });
      connection.open({ write: () => undefined, buffered: () => 0, abort }, () => undefined);
      connection.holdLive('10');
      return { connection, abort, onClose };
    }

    it('counts against maxBufferedBytes: over it, the stream is dropped as a slow consumer', () => {
      const { connection, abort, onClose } = replaying(100);
      connection.send('x'.repeat(60), '11');
      expect(abort).not.toHaveBeenCalled();
      connection.send('x'.repeat(60), '12');
      expect(abort).toHaveBeenCalledTimes(1);
      expect(onClose).toHaveBeenCalledWith(connection, 'slow-consumer');
      expect(connection.heldBytes).toBe(0);
    });

    it('no longer counts once it has been sent', () => {
      const { connection, abort } = replaying(100);
      connection.send('x'.repeat(60), '11');
      connection.goLive();
      connection.holdLive();
      connection.send('x'.repeat(60), '12');
      expect(abort).not.toHaveBeenCalled();
      expect(connection.heldBytes).toBe(60);
    });
  });

  describe('a failure in a timer or a write', () => {
    let logged: jest.SpiedFunction<Logger['error']>;
    beforeEach(() => {
      logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    });
    afterEach(() => logged.mockRestore());

    it('closes that stream with reason error and logs it, instead of throwing out of the timer', () => {
      const written: string[] = [];
      const abort = jest.fn<() => void>();
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const connection = new SseConnection({
        userId: 'alice',
        retryMs: 3000,
        heartbeatMs: 1000,
        expiresAt: new Date(T0 + 60_000),
        onClose,
      });
      const sink = {
        write: (chunk: string) => {
          if (chunk.startsWith(':')) throw new Error('the heartbeat broke');
          written.push(chunk);
        },
        abort,
      };
      connection.open(sink, () => undefined);
      expect(() => jest.advanceTimersByTime(1000)).not.toThrow();
      expect(onClose).toHaveBeenCalledWith(connection, 'error');
      expect(abort).toHaveBeenCalledTimes(1);
      expect(connection.timerCount).toBe(0);
      expect(written).toEqual(['retry: 3000\n\n']);
      expect(logged.mock.calls[0]?.[0]).toMatch(/Stream of alice failed.*the heartbeat broke/s);
    });

    it('closes the stream whose token-expiring task throws (an exp beyond a Date)', () => {
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const { connection } = connect({ expiresAt: new Date(Number.NaN), onClose });
      expect(() => jest.advanceTimersByTime(120_000)).not.toThrow();
      expect(onClose).toHaveBeenCalledTimes(1);
      expect(onClose).toHaveBeenCalledWith(connection, 'error');
      expect(logged.mock.calls[0]?.[0]).toMatch(/RangeError/);
    });

    it('starts no timer when its first write fails', () => {
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const connection = new SseConnection({
        userId: 'alice',
        retryMs: 3000,
        heartbeatMs: 1000,
        expiresAt: new Date(T0 + 60_000),
        onClose,
      });
      const sink = {
        write: () => {
          throw new Error('the socket is gone');
        },
      };
      expect(() => connection.open(sink, () => undefined)).not.toThrow();
      expect(onClose).toHaveBeenCalledWith(connection, 'error');
      expect(connection.timerCount).toBe(0);
    });
  });
});
