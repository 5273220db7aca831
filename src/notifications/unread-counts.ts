import type { UnreadCountEvent } from '@notification-hub/client/protocol';
import { Injectable } from '@nestjs/common';
import { isAfter, sameHistory } from '../cursor.js';
import { NotificationStore } from '../storage/notification-store.js';
import { frameControl } from '../streaming/sse-frame.js';
import { StreamHub } from '../streaming/stream-hub.js';
import type { StreamRegistry } from '../streaming/stream-registry.js';
import { MutedTypes } from './muted-types.js';
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
  private readonly tallies = new Map<string, Followed>();
  /** Users being recounted after a lost history; true when another recount must follow. */
  private readonly recounting = new Map<string, boolean>();

  /** The notification streams, by user. */
  private readonly streams: StreamRegistry;

  constructor(
    private readonly store: NotificationStore,
    hub: StreamHub,
    // The types a user turned off are not counted (issue 13).
    private readonly muted: MutedTypes,
  ) {
    this.streams = hub.users;
  }

  /**
   * The user's count and the newest cursor it includes, from the cache or the store
   * (cached while the user has streams).
   */
  async current(userId: string): Promise<Tally> {
    const cached = this.tallies.get(userId);
    if (cached) return { count: cached.count, asOf: cached.asOf };
    const tally = await this.store.unreadCount(
      userId,
      this.muted.now(userId) ?? (await this.muted.ready(userId)),
    );
    if (this.streams.countFor(userId) > 0 && !this.tallies.has(userId)) {
      this.tallies.set(userId, followed(tally));
    }
    const now = this.tallies.get(userId) ?? tally;
    return { count: now.count, asOf: now.asOf };
  }

  /**
   * A notification for one user is being delivered: if their count is followed, they have
   * one more unread. Their new `unread-count` frame is then read with {@link frameAfter},
   * so that each stream gets the count in the same write as the notification. A broadcast
   * moves counts with {@link frameForBroadcast} instead, as it reaches each stream.
   */
  advance(notification: Notification): void {
    if (notification.recipient === BROADCAST) return;
    const tally = this.tallies.get(notification.recipient);
    if (tally && !this.muted.isMuted(notification.recipient, notification.type))
      this.increment(notification.recipient, tally, notification.id);
  }

  /**
   * A broadcast reaches a stream of `userId`: their count moves at the first of their
   * streams (the broadcast walks streams; a second walk over every followed user before
   * it cost as much as the counting itself, issue 16). Returns the user's new
   * `unread-count` frame, or null when the broadcast did not move it (a muted type, a
   * count that already included it). Asked before the delivery waits for a user's muted
   * types to be read, so that counts move in publishing order.
   */
  frameForBroadcast(userId: string, notification: Notification): string | null {
    const tally = this.tallies.get(userId);
    if (!tally) return null;
    if (tally.movedBy !== notification.id && !this.muted.isMuted(userId, notification.type))
      this.increment(userId, tally, notification.id);
    return tally.movedBy === notification.id ? tally.frame : null;
  }

  /**
   * One more unread, unless the count already includes `cursor`. A count of a history the
   * store has lost cannot be moved: it is read again from the store, which has `cursor`.
   */
  private increment(userId: string, tally: Followed, cursor: string): void {
    if (tally.asOf === null || (sameHistory(cursor, tally.asOf) && isAfter(cursor, tally.asOf))) {
      tally.count += 1;
      tally.asOf = cursor;
      tally.frame = unreadFrame(tally.count);
      tally.movedBy = cursor;
    } else if (!sameHistory(cursor, tally.asOf)) {
      this.recountAfterLoss(userId);
    }
  }

  /**
   * Recounts once at a time per user; what arrives during a recount asks for one more,
   * since the store may have answered before it was stored.
   */
  private recountAfterLoss(userId: string): void {
    if (this.recounting.has(userId)) {
      this.recounting.set(userId, true);
      return;
    }
    this.recounting.set(userId, false);
    void this.recount(userId)
      .catch(() => undefined)
      .finally(() => {
        const again = this.recounting.get(userId);
        this.recounting.delete(userId);
        if (again) this.recountAfterLoss(userId);
      });
  }

  /** The user's `unread-count` frame if `cursor` moved their count (see {@link advance}). */
  frameAfter(userId: string, cursor: string): string | null {
    const tally = this.tallies.get(userId);
    return tally?.movedBy === cursor ? tally.frame : null;
  }

  /** Something was read: recount from the store and tell the user's streams. */
  async recount(userId: string): Promise<number> {
    const tally = await this.reload(userId);
    if (this.streams.countFor(userId) > 0) this.streams.sendTo(userId, unreadFrame(tally.count));
    return tally.count;
  }

  /** The user's count read again from the store (cached while the user has streams). */
  async reload(userId: string): Promise<Tally> {
    const tally = await this.store.unreadCount(
      userId,
      this.muted.now(userId) ?? (await this.muted.ready(userId)),
    );
    if (this.streams.countFor(userId) > 0) this.tallies.set(userId, followed(tally));
    return tally;
  }

  /** The user's last stream closed: their count is no longer followed. */
  forget(userId: string): void {
    if (this.streams.countFor(userId) === 0) this.tallies.delete(userId);
  }

  /** Users whose counts are cached, for leak checks. */
  get size(): number {
    return this.tallies.size;
  }
}

/** A followed user's count, its frame, and the notification that last moved it. */
interface Followed extends Tally {
  frame: string;
  movedBy: string | null;
}

function followed(tally: Tally): Followed {
  return { ...tally, frame: unreadFrame(tally.count), movedBy: null };
}

/**
 * The `unread-count` frame for a count. A broadcast moves every connected user's count,
 * mostly to the same few values, so frames are kept for counts up to a bound instead of
 * being built per user.
 */
export function unreadFrame(count: number): string {
  if (count > MEMO_LIMIT) return frameControl('unread-count', { count } satisfies UnreadCountEvent);
  let frame = unreadFrames[count];
  if (frame === undefined)
    unreadFrames[count] = frame = frameControl('unread-count', {
      count,
    } satisfies UnreadCountEvent);
  return frame;
}
const MEMO_LIMIT = 10_000;
const unreadFrames: string[] = [];
