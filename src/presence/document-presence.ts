import { frameControl } from '../streaming/sse-frame.js';
import type { StreamRegistry } from '../streaming/stream-registry.js';
import { MoveCoalescer, type MoveBatch } from './move-coalescer.js';
import type { PresenceEvent } from './presence-state.js';

/**
 * What the presence streams of one document on this instance are sent (the hub holds
 * the streams). A user's own events are not sent to their own streams: their client
 * knows where its cursor is and that it joined, and with two tabs it is one presence,
 * not two that see each other. Presence events are control events: no `id:`, so no
 * cursor moves.
 */
export class DocumentPresence {
  private readonly moves = new MoveCoalescer((batch) => this.sendMoves(batch));

  /** `streams`: the hub's presence streams, of which this document's are sent to. */
  constructor(
    private readonly streams: StreamRegistry,
    private readonly documentId: string,
  ) {}

  deliver(event: PresenceEvent): void {
    if (event.type === 'move') {
      this.moves.push(event.userId, { x: event.x, y: event.y });
      return;
    }
    // A move still waiting must not follow the leave; nor, after a rejoin, precede it.
    this.moves.cancel(event.userId);
    this.sendToOthers(event.userId, frameControl(event.type, { userId: event.userId }));
  }

  /** Stops the coalescing timers; called once the last stream is gone. */
  dispose(): void {
    this.moves.clear();
  }

  /** Moves waiting to be sent, for leak checks. */
  get coalescing(): number {
    return this.moves.size;
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
    for (const stream of this.streams.streamsOf(this.documentId)) {
      const own = stream.userId;
      if (!frames.has(own)) {
        stream.send(all);
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
      if (chunk !== '') stream.send(chunk);
    }
  }

  private sendToOthers(userId: string, frame: string): void {
    for (const stream of this.streams.streamsOf(this.documentId)) {
      if (stream.userId !== userId) stream.send(frame);
    }
  }
}
