import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { AppConfig } from '../config.js';
import { cursorEpoch, splitCursor } from '../cursor.js';
import { StreamAdmission } from '../limits/stream-admission.js';
import { logStreamOpened } from '../logging/stream-log.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NotificationStore } from '../storage/notification-store.js';
import { SseConnection } from '../streaming/sse-connection.js';
import { frameControl } from '../streaming/sse-frame.js';
import { serveSse } from '../streaming/sse-observable.js';
import { StreamRegistry } from '../streaming/stream-registry.js';
import { MutedTypes } from './muted-types.js';
import { frameNotification } from './notification-router.js';
import { NotificationTypes } from './notification-types.js';
import { UnreadCounts, unreadFrame } from './unread-counts.js';

/** Notifications read from the store per query while replaying. */
const REPLAY_PAGE = 500;

/**
 * Opens a user's notification stream, within the per-user and per-instance limits,
 * and resumes it: live delivery is held from the moment the stream is registered,
 * the store replays what came after the client's cursor, then the held events that
 * the replay did not carry go out and the stream is live. No gap, no duplicate.
 */
@Injectable()
export class NotificationStreamsService {
  private readonly logger = new Logger(NotificationStreamsService.name);
  /**
   * Each stream's replays run one after another: a catch-up that started while the
   * stream's own resume was still replaying would otherwise release held events early.
   */
  private readonly replays = new WeakMap<SseConnection, Promise<void>>();
  /** The epoch of the store's history, as of the last notification the feed brought. */
  private epoch: string | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: StreamRegistry,
    private readonly store: NotificationStore,
    private readonly unread: UnreadCounts,
    private readonly metrics: MetricsService,
    private readonly admission: StreamAdmission,
    // Types and preferences (issue 13): see notification-types.ts and muted-types.ts.
    private readonly types: NotificationTypes,
    private readonly muted: MutedTypes,
  ) {}

  /** `lastEventId`: the client's cursor (Last-Event-ID), or null for a fresh stream. */
  open(user: AuthUser, response: Response, lastEventId: string | null): Observable<never> {
    const release = this.admission.admit(user.id);
    const logClosed = logStreamOpened(this.logger, {
      kind: 'notifications',
      userId: user.id,
      resumed: lastEventId !== null,
    });
    const connection = new SseConnection({
      userId: user.id,
      retryMs: this.config.retryMs,
      heartbeatMs: this.config.heartbeatMs,
      maxBufferedBytes: this.config.maxBufferedBytes,
      expiresAt: user.expiresAt,
      onClose: (closed, reason) => {
        this.registry.remove(closed);
        release();
        this.unread.forget(closed.userId);
        this.muted.release(closed.userId);
        if (reason === 'slow-consumer') this.metrics.slowConsumersDropped.inc();
        logClosed(reason);
      },
    });
    // Held before it is registered, so that nothing published from now on is missed.
    connection.holdLive(lastEventId);
    // Read before anything is delivered to the stream: what comes meanwhile waits for it.
    this.muted.retain(user.id);
    // Registered now, not on subscribe, so that concurrent opens count against the limit.
    this.registry.add(connection);
    return serveSse(
      response,
      connection,
      () => void this.inTurn(connection, () => this.start(connection, lastEventId)),
    );
  }

  /**
   * The feed was interrupted: every open stream replays what it may have missed, after
   * the last notification it sent, with live delivery held meanwhile as on a resume.
   */
  async catchUpAll(): Promise<void> {
    await Promise.all(
      [...this.registry.connections()].map((connection) => this.catchUp(connection)),
    );
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
    for (const connection of this.registry.connections()) {
      const position = connection.position;
      if (position === null || cursorEpoch(position) === epoch) continue;
      connection.holdLive();
      void this.catchUp(connection);
    }
  }

  /**
   * Replays what the stream may have missed after the last notification it sent, with
   * live delivery held meanwhile as on a resume; when the store no longer knows that
   * notification (its history was lost or rolled back), resets the stream first.
   */
  private catchUp(connection: SseConnection): Promise<void> {
    return this.inTurn(connection, async () => {
      connection.holdLive();
      try {
        const position = connection.position;
        if (position !== null && (await this.store.cursorState(position)) === 'unknown') {
          await this.restart(connection, position);
        } else {
          await this.replayAfter(connection, position ?? '0');
        }
      } catch (error) {
        this.logger.error(`Catch-up of ${connection.userId} failed: ${String(error)}`);
        this.metrics.storageError('stream');
        connection.end('error');
      }
    });
  }

  /**
   * The store lost the history the stream was following: `reset` (the client reloads its
   * inbox), the count of the new history, then every notification stored after `lost`,
   * which, being a cursor of the lost history, is all of the new one (and nothing for a
   * history rolled back below it, where what comes live from now on is new).
   */
  private async restart(connection: SseConnection, lost: string): Promise<void> {
    const { userId } = connection;
    const latestId = await this.store.latestCursor(userId);
    const unread = await this.unread.reload(userId);
    connection.write(frameControl('reset', { reason: HISTORY_LOST, latestId }));
    this.metrics.resets.inc();
    connection.write(unreadFrame(unread.count));
    // The old cursors say nothing about the new history: nothing held is a duplicate.
    connection.holdLive(null);
    connection.markStartPoint(unread.asOf);
    await this.replayAfter(connection, lost);
  }

  /** Runs `task` once the stream's previous replay, if any, has finished. */
  private inTurn(connection: SseConnection, task: () => Promise<void>): Promise<void> {
    const turn = (this.replays.get(connection) ?? Promise.resolve()).then(task);
    this.replays.set(
      connection,
      turn.catch(() => undefined),
    );
    return turn;
  }

  private async start(connection: SseConnection, lastEventId: string | null): Promise<void> {
    try {
      const reset =
        lastEventId === null ? null : await this.resetFor(connection.userId, lastEventId);
      await this.muted.ready(connection.userId);
      const unread = await this.unread.current(connection.userId);
      connection.markStartPoint(unread.asOf);
      // The contract puts a reset first, before anything else the stream says.
      if (reset) {
        connection.write(reset);
        this.metrics.resets.inc();
      }
      connection.write(this.types.frameForStart(connection));
      connection.write(unreadFrame(unread.count));
      if (lastEventId === null) connection.goLive();
      else if (reset) connection.goLive({ fromScratch: true });
      else await this.replayAfter(connection, lastEventId);
    } catch (error) {
      // The client reconnects with its cursor and tries again.
      this.logger.error(`Could not start the stream of ${connection.userId}: ${String(error)}`);
      this.metrics.storageError('stream');
      connection.end('error');
    }
  }

  /** The `reset` frame for a cursor that cannot be resumed from, or null when it can. */
  private async resetFor(userId: string, lastEventId: string): Promise<string | null> {
    const state =
      splitCursor(lastEventId) === null ? 'malformed' : await this.store.cursorState(lastEventId);
    if (state === 'ok') return null;
    const latestId = await this.store.latestCursor(userId);
    return frameControl('reset', { reason: RESET_REASONS[state], latestId });
  }

  /** Replays the user's notifications after `cursor`, then releases held live events. */
  private async replayAfter(connection: SseConnection, cursor: string): Promise<void> {
    let after = cursor;
    while (connection.isOpen) {
      const page = await this.store.readAfter(connection.userId, after, REPLAY_PAGE);
      for (const notification of page) {
        if (this.muted.isMuted(connection.userId, notification.type)) continue;
        this.types.announceTo(connection, notification.type);
        connection.replay(frameNotification(notification), notification.id);
        await connection.drained();
      }
      this.metrics.replayed.inc(page.length);
      if (page.length < REPLAY_PAGE) break;
      after = page[page.length - 1].id;
    }
    connection.goLive();
  }
}

const HISTORY_LOST =
  'The store lost notifications this stream had sent (it restarted without its data)';

const RESET_REASONS = {
  malformed: 'The Last-Event-ID is not a cursor of this service',
  unknown: 'The Last-Event-ID is unknown to this service',
  expired: 'The Last-Event-ID is older than the notifications kept',
} as const;
