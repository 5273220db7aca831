import type { SseConnection } from '../streaming/sse-connection.js';
import { frameControl } from '../streaming/sse-frame.js';
import { MoveCoalescer, type MoveBatch } from './move-coalescer.js';
import type { PresenceEvent } from './presence-state.js';

/**
 * The presence streams of one document on this instance, and how events reach them.
 * A user's own events are not sent to their own streams: their client knows where its
 * cursor is and that it joined, and with two tabs it is one presence, not two that see
 * each other. Presence events are control events: no `id:`, so no cursor moves.
 */
export class DocumentStreams {
  private readonly streams = new Set<SseConnection>();
  /** User → number of their streams here, so that two tabs make one presence. */
  private readonly users = new Map<string, number>();
  private readonly moves = new MoveCoalescer((batch) => this.sendMoves(batch));

  /** Returns true when this is the user's first stream on the document here. */
  add(connection: SseConnection): boolean {
    this.streams.add(connection);
    const count = (this.users.get(connection.userId) ?? 0) + 1;
    this.users.set(connection.userId, count);
    return count === 1;
  }

  /** Returns true when that was the user's last stream on the document here. */
  remove(connection: SseConnection): boolean {
    if (!this.streams.delete(connection)) return false;
    const count = (this.users.get(connection.userId) ?? 1) - 1;
    if (count > 0) {
      this.users.set(connection.userId, count);
      return false;
    }
    this.users.delete(connection.userId);
    return true;
  }

  deliver(event: PresenceEvent): void {
    if (event.type === 'move') {
      this.moves.push(event.userId, { x: event.x, y: event.y });
      return;
    }
    // A move still waiting must not follow the leave; nor, after a rejoin, precede it.
    this.moves.cancel(event.userId);
    this.sendToOthers(event.userId, frameControl(event.type, { userId: event.userId }));
  }

  get isEmpty(): boolean {
    return this.streams.size === 0;
  }

  connections(): IterableIterator<SseConnection> {
    return this.streams.values();
  }

  /** Stops the coalescing timers; called once the last stream is gone. */
  dispose(): void {
    this.moves.clear();
  }

  /** Sizes of every map, for leak checks. */
  get counts(): { streams: number; users: number; coalescing: number } {
    return { streams: this.streams.size, users: this.users.size, coalescing: this.moves.size };
  }

  /**
   * Writes a batch of moves to every stream as one chunk (one write per stream, not one
   * per mover); a stream whose own user is in the batch gets the chunk without that move.
   */
  private sendMoves(batch: MoveBatch): void {
    const frames = new Map<string, string>();
    for (const [userId, { x, y }] of batch) {
      frames.set(userId, frameControl('move', { userId, x, y }));
    }
    const all = [...frames.values()].join('');
    const withoutOwn = new Map<string, string>();
    for (const connection of this.streams) {
      const own = connection.userId;
      if (!frames.has(own)) {
        connection.send(all);
        continue;
      }
      let chunk = withoutOwn.get(own);
      if (chunk === undefined) {
        chunk = [...frames]
          .filter(([userId]) => userId !== own)
          .map(([, frame]) => frame)
          .join('');
        withoutOwn.set(own, chunk);
      }
      if (chunk !== '') connection.send(chunk);
    }
  }

  private sendToOthers(userId: string, frame: string): void {
    for (const connection of this.streams) {
      if (connection.userId !== userId) connection.send(frame);
    }
  }
}
