import { Injectable } from '@nestjs/common';
import type { SseConnection } from './sse-connection.js';

/**
 * The open notification streams, keyed by user. Delivering to one user touches
 * only that user's streams, so its cost does not grow with the number of users
 * connected; only a broadcast walks every stream.
 */
@Injectable()
export class StreamRegistry {
  private readonly byUser = new Map<string, Set<SseConnection>>();
  private readonly all = new Set<SseConnection>();

  add(connection: SseConnection): void {
    let streams = this.byUser.get(connection.userId);
    if (!streams) {
      streams = new Set();
      this.byUser.set(connection.userId, streams);
    }
    streams.add(connection);
    this.all.add(connection);
  }

  remove(connection: SseConnection): void {
    this.all.delete(connection);
    const streams = this.byUser.get(connection.userId);
    if (!streams) return;
    streams.delete(connection);
    if (streams.size === 0) this.byUser.delete(connection.userId);
  }

  /** Sends one framed event (a notification when it has a cursor) to every stream of one user. */
  sendToUser(userId: string, frame: string, cursor: string | null = null): void {
    const streams = this.byUser.get(userId);
    if (!streams) return;
    for (const connection of streams) connection.send(frame, cursor);
  }

  /** Sends one framed event to every stream, except those of `exceptUserId`. */
  sendToAll(frame: string, cursor: string | null, exceptUserId: string | null): void {
    for (const connection of this.all) {
      if (connection.userId !== exceptUserId) connection.send(frame, cursor);
    }
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

  /** Ends every stream, as on shutdown, so clients reconnect elsewhere and resume. */
  endAll(): void {
    for (const connection of [...this.all]) connection.end();
  }
}
