import { Injectable } from '@nestjs/common';
import { isAfter } from '../cursor.js';
import { NotificationStore } from '../storage/notification-store.js';
import { frameControl } from '../streaming/sse-frame.js';
import { StreamRegistry } from '../streaming/stream-registry.js';
import { BROADCAST, Notification } from './notification.js';

export interface Tally {
  count: number;
  /** The newest cursor the count includes: a notification at or before it is counted already. */
  asOf: string | null;
}

/**
 * Keeps every connected user's streams told their unread count (`event: unread-count`).
 * Counts of users with open streams are cached and moved by each delivery, so a
 * broadcast costs no store query per user; a read (which the cache cannot follow)
 * recounts from the store.
 */
@Injectable()
export class UnreadCounts {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly store: NotificationStore,
    private readonly streams: StreamRegistry,
  ) {}

  /**
   * The user's count and the newest cursor it includes, from the cache or the store
   * (cached while the user has streams).
   */
  async current(userId: string): Promise<Tally> {
    const cached = this.tallies.get(userId);
    if (cached) return { ...cached };
    const tally = await this.store.unreadCount(userId);
    if (this.streams.countFor(userId) > 0 && !this.tallies.has(userId)) {
      this.tallies.set(userId, tally);
    }
    return { ...(this.tallies.get(userId) ?? tally) };
  }

  /** A notification was delivered: every user it is for has one more unread. */
  delivered(notification: Notification): void {
    if (notification.recipient === BROADCAST) {
      for (const [userId, tally] of this.tallies) {
        if (userId !== notification.actorId) this.increment(userId, tally, notification.id);
      }
    } else {
      const tally = this.tallies.get(notification.recipient);
      if (tally) this.increment(notification.recipient, tally, notification.id);
    }
  }

  /** Something was read: recount from the store and tell the user's streams. */
  async recount(userId: string): Promise<number> {
    const tally = await this.store.unreadCount(userId);
    if (this.streams.countFor(userId) > 0) {
      this.tallies.set(userId, tally);
      this.streams.sendToUser(userId, unreadFrame(tally.count));
    }
    return tally.count;
  }

  /** The user's last stream closed: their count is no longer followed. */
  forget(userId: string): void {
    if (this.streams.countFor(userId) === 0) this.tallies.delete(userId);
  }

  /** Users whose counts are cached, for leak checks. */
  get size(): number {
    return this.tallies.size;
  }

  private increment(userId: string, tally: Tally, cursor: string): void {
    if (tally.asOf !== null && !isAfter(cursor, tally.asOf)) return;
    tally.count += 1;
    tally.asOf = cursor;
    this.streams.sendToUser(userId, unreadFrame(tally.count));
  }
}

export function unreadFrame(count: number): string {
  return frameControl('unread-count', { count });
}
