import type { Position } from './presence-state.js';

/** The shortest interval between two `move` events of one user (issue 5: at most one per 50 ms). */
export const MOVE_INTERVAL_MS = 50;

/** The moves to send together: user → their newest position. */
export type MoveBatch = ReadonlyMap<string, Position>;

/**
 * Thins one document's moves to at most one per user per interval, without ever losing a
 * last position. A move arriving while the document is quiet goes out at once and opens a
 * window; moves during the window only replace their user's waiting position, and when the
 * window ends every waiting position goes out in one batch (and opens the next window).
 * A window that ends with nothing waiting closes, so a quiet document holds no timer.
 *
 * One coalescer, with one timer, serves every stream of the document on this instance:
 * however many users move, each stream gets at most one write per interval after the
 * first, and each move is framed once.
 */
export class MoveCoalescer {
  private waiting = new Map<string, Position>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (batch: MoveBatch) => void,
    private readonly intervalMs = MOVE_INTERVAL_MS,
  ) {}

  push(userId: string, position: Position): void {
    if (this.timer) {
      this.waiting.set(userId, position);
      return;
    }
    this.send(new Map([[userId, position]]));
    this.openWindow();
  }

  /** Forgets the user's waiting move: they left, and a move after `leave` would revive them. */
  cancel(userId: string): void {
    this.waiting.delete(userId);
  }

  /** Stops the timer: the document has no stream left on this instance. */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waiting.clear();
  }

  /** Timers and waiting positions held, for leak checks. */
  get size(): number {
    return this.waiting.size + (this.timer ? 1 : 0);
  }

  private openWindow(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.waiting.size === 0) return;
      const batch = this.waiting;
      this.waiting = new Map();
      this.send(batch);
      this.openWindow();
    }, this.intervalMs);
  }
}
