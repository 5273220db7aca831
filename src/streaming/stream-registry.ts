import { endForShutdown } from './end-for-shutdown.js';
import type { ResumableStream } from './resumable-stream.js';
import type { Chunk } from './sse-connection.js';

/** Sends an event to one stream, framed for that stream's user (see ResumableStream.send). */
export type SendToStream = (stream: ResumableStream) => void;

/** The kinds of stream, each with its own registry in the {@link StreamHub}; named in logs. */
export type StreamKind = 'notifications' | 'timeline' | 'presence';

/**
 * The open streams of one kind, by id: a user's notification streams, a workflow's
 * timeline streams, a document's presence streams. One registry per kind is the key's
 * namespace: ids of different kinds never meet, whatever they contain. Delivering to one
 * id touches only its streams, so its cost does not grow with the number of streams
 * open; only a broadcast walks every stream of the kind. The {@link StreamHub} adds and
 * removes streams; services only send.
 */
export class StreamRegistry {
  private readonly byId = new Map<string, Set<ResumableStream>>();
  private readonly all = new Set<ResumableStream>();

  constructor(readonly kind: StreamKind) {}

  add(stream: ResumableStream): void {
    let streams = this.byId.get(stream.id);
    if (!streams) {
      streams = new Set();
      this.byId.set(stream.id, streams);
    }
    streams.add(stream);
    this.all.add(stream);
  }

  remove(stream: ResumableStream): void {
    this.all.delete(stream);
    const streams = this.byId.get(stream.id);
    if (!streams) return;
    streams.delete(stream);
    if (streams.size === 0) this.byId.delete(stream.id);
  }

  /**
   * Sends one framed event (one with a cursor is sent once per stream) to every stream of
   * one id (`ifDropped`: see ResumableStream.send). Returns the number of streams it was
   * handed to (for the deliveries metric).
   */
  sendTo(id: string, frame: Chunk, cursor: string | null = null, ifDropped: Chunk | null = null) {
    const streams = this.byId.get(id);
    if (!streams) return 0;
    for (const stream of streams) stream.send(frame, cursor, ifDropped);
    return streams.size;
  }

  /**
   * Sends one event to every stream of the kind, except those of `exceptUserId`, each
   * through `send` (which frames it for the stream's user, with their unread count, say);
   * returns how many.
   */
  sendToAll(send: SendToStream, exceptUserId: string | null): number {
    let count = 0;
    for (const stream of this.all) {
      if (stream.userId !== exceptUserId) {
        send(stream);
        count++;
      }
    }
    return count;
  }

  /** The open streams of one id, as they are (not a copy: for delivery loops). */
  streamsOf(id: string): Iterable<ResumableStream> {
    return this.byId.get(id) ?? NONE;
  }

  /** The open streams of one id, as a copy. */
  connectionsOf(id: string): readonly ResumableStream[] {
    return [...this.streamsOf(id)];
  }

  /** Every open stream of the kind. */
  connections(): IterableIterator<ResumableStream> {
    return this.all.values();
  }

  /** Streams open under `id`; only those of `userId` when given (a user's tabs on a document). */
  countFor(id: string, userId?: string): number {
    const streams = this.byId.get(id);
    if (!streams || userId === undefined) return streams?.size ?? 0;
    let count = 0;
    for (const stream of streams) if (stream.userId === userId) count++;
    return count;
  }

  get size(): number {
    return this.all.size;
  }

  /**
   * Distinct users with a stream, counted per id (a user on two documents counts twice):
   * for notification streams, the users connected. For leak checks, which the benchmark
   * reads between broadcasts: an id with one stream (nearly all) allocates nothing.
   */
  get userCount(): number {
    let count = 0;
    for (const streams of this.byId.values()) {
      count += streams.size === 1 ? 1 : new Set([...streams].map((stream) => stream.userId)).size;
    }
    return count;
  }

  /**
   * Ends every stream of the kind, as on shutdown, so clients reconnect elsewhere and
   * resume; resolves once their responses are complete (see {@link endForShutdown}).
   */
  endAll(): Promise<void> {
    return endForShutdown([...this.all]);
  }
}

const NONE: Iterable<ResumableStream> = [];
