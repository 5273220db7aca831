import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MoveCoalescer, type MoveBatch } from './move-coalescer.js';

describe(MoveCoalescer.name, () => {
  let batches: Record<string, [number, number]>[];
  let coalescer: MoveCoalescer;
  const record = (batch: MoveBatch) =>
    batches.push(Object.fromEntries([...batch].map(([userId, { x, y }]) => [userId, [x, y]])));

  beforeEach(() => {
    jest.useFakeTimers();
    batches = [];
    coalescer = new MoveCoalescer(record, 50);
  });
  afterEach(() => {
    coalescer.clear();
    jest.useRealTimers();
  });

  describe('push', () => {
    it('sends a move on a quiet document at once', () => {
      coalescer.push('ann', { x: 1, y: 2 });
      expect(batches).toEqual([{ ann: [1, 2] }]);
    });

    it("holds a window's later moves and sends only the newest when it ends", () => {
      coalescer.push('ann', { x: 1, y: 1 });
      coalescer.push('ann', { x: 2, y: 2 });
      coalescer.push('ann', { x: 3, y: 3 });
      jest.advanceTimersByTime(49);
      expect(batches).toHaveLength(1);
      jest.advanceTimersByTime(1);
      expect(batches).toEqual([{ ann: [1, 1] }, { ann: [3, 3] }]);
    });

    it('sends at most one move per interval during a long burst, ending on the last', () => {
      for (let i = 1; i <= 100; i++) {
        coalescer.push('ann', { x: i, y: 0 });
        jest.advanceTimersByTime(5);
      }
      jest.advanceTimersByTime(100);
      expect(batches.length).toBeLessThanOrEqual(11);
      expect(batches.at(-1)).toEqual({ ann: [100, 0] });
    });

    it("batches the window's moves of several users together", () => {
      coalescer.push('ann', { x: 1, y: 1 });
      coalescer.push('bob', { x: 5, y: 5 });
      coalescer.push('cat', { x: 6, y: 6 });
      coalescer.push('bob', { x: 7, y: 7 });
      jest.advanceTimersByTime(50);
      expect(batches).toEqual([{ ann: [1, 1] }, { bob: [7, 7], cat: [6, 6] }]);
    });

    it('holds no timer once a window ended with nothing waiting', () => {
      coalescer.push('ann', { x: 1, y: 1 });
      jest.advanceTimersByTime(50);
      expect(coalescer.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('cancel', () => {
    it("drops the user's waiting move only", () => {
      coalescer.push('ann', { x: 1, y: 1 });
      coalescer.push('ann', { x: 2, y: 2 });
      coalescer.push('bob', { x: 3, y: 3 });
      coalescer.cancel('ann');
      jest.advanceTimersByTime(100);
      expect(batches).toEqual([{ ann: [1, 1] }, { bob: [3, 3] }]);
      expect(coalescer.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('clear', () => {
    it('stops the timer and forgets what waits', () => {
      coalescer.push('ann', { x: 1, y: 1 });
      coalescer.push('bob', { x: 2, y: 2 });
      coalescer.clear();
      jest.advanceTimersByTime(100);
      expect(batches).toHaveLength(1);
      expect(coalescer.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
