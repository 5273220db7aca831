import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { cursorEpoch, splitCursor } from '../cursor.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LiveFeed } from '../storage/live-feed.js';
import { NotificationStore } from '../storage/notification-store.js';
import type { ResetReason, ResumableStream } from '../streaming/resumable-stream.js';
import { StreamHub } from '../streaming/stream-hub.js';
import { MutedTypes } from './muted-types.js';
import { frameNotification } from './notification-router.js';
import { NotificationTypes } from './notification-types.js';
import { UnreadCounts, unreadFrame } from './unread-counts.js';

/**
 * What a user's notification stream sends (the hub opens, admits and closes it): the
 * unread count, then what came after the client's cursor, replayed from the store while
 * live delivery is held (see ResumableStream), then live. No gap, no duplicate. It also
 * follows the store's history, catching every stream up after an outage or a lost history.
 */
@Injectable()
export class NotificationStreamsService {
  private readonly logger = new Logger(NotificationStreamsService.name);
  /** The epoch of the store's history, as of the last notification the feed brought. */
  private epoch: string | null = null;

  constructor(
    private readonly hub: StreamHub,
    private readonly store: NotificationStore,
    private readonly unread: UnreadCounts,
    private readonly metrics: MetricsService,
    // Types and preferences (issue 13): see notification-types.ts and muted-types.ts.
    private readonly types: NotificationTypes,
    private readonly muted: MutedTypes,
    private readonly feed: LiveFeed,
  ) {}

  /** `lastEventId`: the client's cursor (Last-Event-ID), or null for a fresh stream. */
  open(user: AuthUser, response: Response, lastEventId: string | null): Observable<never> {
    let window: Window | null = null;
    return this.hub.open(this.hub.users, user.id, {
      user,
      response,
      lastEventId,
      onRegistered: ({ userId }) => {
        // This instance may not hear the user yet (see LiveFeed.follow): what is
        // published until it does is read from the store (see start).
        const heard = this.feed.follow(userId);
        if (heard) window = this.openWindow(userId, heard, lastEventId);
        // The user's muted types are read once they are heard, before anything is
        // delivered to the stream: what comes meanwhile waits for them.
        this.muted.retain(userId, heard);
      },
      onOpen: (stream) => void stream.inTurn(() => this.start(stream, lastEventId, window)),
      onClose: (stream) => {
        this.unread.forget(stream.userId);
        this.muted.release(stream.userId);
        this.feed.unfollow(stream.userId);
      },
    }).served;
  }

  /**
   * A stream opens before this instance hears its user. A fresh one must still get what
   * is published from now on (its client may see the stream open and publish): the user's
   * newest cursor is read now, and what comes after it is replayed once they are heard.
   */
  private openWindow(userId: string, heard: Promise<void>, lastEventId: string | null): Window {
    const since = lastEventId === null ? this.store.latestCursor(userId) : null;
    // Awaited in start, unless the stream closed before: no unhandled rejection then.
    heard.catch(() => undefined);
    since?.catch(() => undefined);
    return { heard, since };
  }

  /**
   * The feed was interrupted: every open stream replays what it may have missed, after
   * the last notification it sent, with live delivery held meanwhile as on a resume.
   */
  async catchUpAll(): Promise<void> {
    await Promise.all([...this.hub.users.connections()].map((stream) => this.catchUp(stream)));
  }

  /**
   * Called with each notification the feed brings, before it is routed. A cursor of
   * another epoch than the last one means the store's history was lost and started again
   * (CONTRACT.md, "The notification stream"): every stream still placed in an older
   * history is held at once, so that this notification waits, then reset and caught up.
   */
  followHistory(cursor: string): void {
    const epoch = cursorEpoch(cursor);
    if (epoch === null || epoch === this.epoch) return;
    this.epoch = epoch;
    for (const stream of this.hub.users.connections()) {
      const position = stream.position;
      if (position === null || cursorEpoch(position) === epoch) continue;
      stream.holdLive();
      void this.catchUp(stream);
    }
  }

  /**
   * Replays what the stream may have missed after the last notification it sent, with
   * live delivery held meanwhile as on a resume; when the store no longer knows that
   * notification (its history was lost or rolled back), resets the stream first.
   */
  private catchUp(stream: ResumableStream): Promise<void> {
    return stream.inTurn(async () => {
      stream.holdLive();
      try {
        const position = stream.position;
        if (position !== null && (await this.store.cursorState(position)) === 'unknown') {
          await this.restart(stream, position);
        } else {
          await this.replayAfter(stream, position ?? '0');
        }
      } catch (error) {
        this.logger.error(`Catch-up of ${stream.userId} failed: ${String(error)}`);
        this.metrics.storageError('stream');
        stream.end('error');
      }
    });
  }

  /**
   * The store lost the history the stream was following: `reset` (the client reloads its
   * inbox), the count of the new history, then every notification stored after `lost`,
   * which, being a cursor of the lost history, is all of the new one (and nothing for a
   * history rolled back below it, where what comes live from now on is new).
   */
  private async restart(stream: ResumableStream, lost: string): Promise<void> {
    const { userId } = stream;
    const latestId = await this.store.latestCursor(userId);
    const unread = await this.unread.reload(userId);
    stream.reset('historyLost', latestId);
    this.metrics.resets.inc();
    stream.write(unreadFrame(unread.count));
    // The old cursors say nothing about the new history: nothing held is a duplicate.
    stream.holdLive(null);
    stream.markStartPoint(unread.asOf);
    await this.replayAfter(stream, lost);
  }

  private async start(
    stream: ResumableStream,
    lastEventId: string | null,
    window: Window | null,
  ): Promise<void> {
    try {
      // Before the count and the replay, so that what they miss comes live.
      await window?.heard;
      const reset = lastEventId === null ? null : await this.resetFor(stream.userId, lastEventId);
      await this.muted.ready(stream.userId);
      const unread = await this.unread.current(stream.userId);
      stream.markStartPoint(unread.asOf);
      // The contract puts a reset first, before anything else the stream says.
      if (reset) {
        stream.reset(reset.reason, reset.latestId);
        this.metrics.resets.inc();
      }
      stream.write(this.types.frameForStart(stream));
      stream.write(unreadFrame(unread.count));
      if (window?.since) await this.replayAfter(stream, (await window.since) ?? '0');
      else if (lastEventId === null) stream.goLive();
      else if (reset) stream.goLive({ fromScratch: true });
      else await this.replayAfter(stream, lastEventId);
    } catch (error) {
      // The client reconnects with its cursor and tries again.
      this.logger.error(`Could not start the stream of ${stream.userId}: ${String(error)}`);
      this.metrics.storageError('stream');
      stream.end('error');
    }
  }

  /** Why a cursor cannot be resumed from, with the newest cursor; null when it can. */
  private async resetFor(
    userId: string,
    lastEventId: string,
  ): Promise<{ reason: ResetReason; latestId: string | null } | null> {
    const state =
      splitCursor(lastEventId) === null ? 'malformed' : await this.store.cursorState(lastEventId);
    if (state === 'ok') return null;
    return { reason: state, latestId: await this.store.latestCursor(userId) };
  }

  /** Replays the user's notifications after `cursor`, then releases held live events. */
  private replayAfter(stream: ResumableStream, cursor: string): Promise<void> {
    return stream.replayThenLive(
      (after, limit) => this.store.readAfter(stream.userId, after ?? '0', limit),
      (notification) => {
        if (this.muted.isMuted(stream.userId, notification.type)) return null;
        this.types.announceTo(stream, notification.type);
        return frameNotification(notification);
      },
      cursor,
      (page) => this.metrics.replayed.inc(page.length),
    );
  }
}

/** A stream's wait for its user to be heard here (see NotificationStreamsService.open). */
interface Window {
  heard: Promise<void>;
  /** A fresh stream's start in the store: the user's newest cursor as it opened (null: none). */
  since: Promise<string | null> | null;
}
