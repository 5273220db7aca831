import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { endForShutdown } from './end-for-shutdown.js';
import type { Chunk, SseConnection } from './sse-connection.js';

/** Sends an event to one stream, framed for that stream's user (see SseConnection.send). */
export type SendToStream = (connection: SseConnection) => void;

/**
 * Open streams, keyed by user (or by a resource, see SseConnection.key). Delivering to one key touches
 * only that user's streams, so its cost does not grow with the number of users
 * connected; only a broadcast walks every stream.
 */
@Injectable()
export class StreamRegistry implements BeforeApplicationShutdown {
  private readonly byUser = new Map<string, Set<SseConnection>>();
  private readonly all = new Set<SseConnection>();

  add(connection: SseConnection): void {
    let streams = this.byUser.get(connection.key);
    if (!streams) {
      streams = new Set();
      this.byUser.set(connection.key, streams);
    }
    streams.add(connection);
    this.all.add(connection);
  }

  remove(connection: SseConnection): void {
    this.all.delete(connection);
    const streams = this.byUser.get(connection.key);
    if (!streams) return;
    streams.delete(connection);
    if (streams.size === 0) this.byUser.delete(connection.key);
  }

  /**
   * Sends one framed event (a notification when it has a cursor) to every stream of one
   * user (`ifDropped`: see SseConnection.send). Returns the number of streams it was
   * handed to (for the deliveries metric).
   */
  sendToUser(
    userId: string,
    frame: Chunk,
    cursor: string | null = null,
    ifDropped: Chunk | null = null,
  ): number {
    const streams = this.byUser.get(userId);
    if (!streams) return 0;
    for (const connection of streams) connection.send(frame, cursor, ifDropped);
    return streams.size;
  }

  /**
   * Sends one event to every stream, except those of `exceptUserId`, each through `send`
   * (which frames it for the stream's user, with their unread count, say); returns how many.
   */
  sendToAll(send: SendToStream, exceptUserId: string | null): number {
    let count = 0;
    for (const connection of this.all) {
      if (connection.userId !== exceptUserId) {
        send(connection);
        count++;
      }
    }
    return count;
  }

  /** The open streams registered under one key. */
  connectionsOf(key: string): readonly SseConnection[] {
    return [...(this.byUser.get(key) ?? [])];
  }

  /** Every open stream. */
  connections(): IterableIterator<SseConnection> {
    return this.all.values();
  }

  /** The users with at least one open stream. */
  users(): IterableIterator<string> {
    return this.byUser.keys();
  }

  countFor(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  get size(): number {
    return this.all.size;
  }

  /** Number of users with at least one stream (entries in the per-user map). */
  get userCount(): number {
    return this.byUser.size;
  }

  /**
   * Ends every stream, as on shutdown, so clients reconnect elsewhere and resume; resolves
   * once their responses are complete (see {@link endForShutdown}).
   */
  endAll(): Promise<void> {
    return endForShutdown([...this.all]);
  }

  /**
   * `app.close()` (SIGTERM, tests): the streams end here, each as a shutdown, before
   * Nest closes the server and destroys the sockets that remain. Overriding
   * `app.close` cannot do it: Nest's application proxy ignores assignments.
   */
  beforeApplicationShutdown(): Promise<void> {
    return this.endAll();
  }
}
