import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { T0, transport } from '../testing/sse-transport.js';
import { SseConnection, type SseConnectionOptions } from './sse-connection.js';

function connect(overrides: Partial<SseConnectionOptions> = {}) {
  const written: string[] = [];
  const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
  const endResponse = jest.fn<() => void>();
  const connection = transport({ onClose, ...overrides });
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

  describe('a slow consumer', () => {
    it('is dropped once its unsent data exceeds maxBufferedBytes, and never written to again', () => {
      let buffered = 0;
      const written: string[] = [];
      const abort = jest.fn<() => void>();
      const onClose = jest.fn<(connection: SseConnection, reason: string) => void>();
      const connection = transport({ userId: 'slow', maxBufferedBytes: 100, onClose });
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
      const connection = transport({ onClose });
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
      const connection = transport({ onClose });
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
