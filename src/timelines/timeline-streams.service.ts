import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { AppConfig } from '../config.js';
import { isAfter, parseCursor } from '../cursor.js';
import { StreamAdmission } from '../limits/stream-admission.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LiveFeed } from '../storage/live-feed.js';
import { FINAL_TIMELINE_EVENTS, TimelineEvent, TimelineStore } from '../storage/timeline-store.js';
import { SseConnection } from '../streaming/sse-connection.js';
import { frameControl, frameEvent } from '../streaming/sse-frame.js';
import { serveSse } from '../streaming/sse-observable.js';
import { StreamRegistry } from '../streaming/stream-registry.js';
import type { Workflow } from '../workflows/workflow.js';
import { WorkflowsService } from '../workflows/workflows.service.js';

const REPLAY_PAGE = 500;
/** How long a finished workflow's stream waits for the event that finished it. */
const FINAL_EVENT_WAIT_MS = 1000;

const isFinal = (event: TimelineEvent) => FINAL_TIMELINE_EVENTS.includes(event.type);

/**
 * `GET /workflows/:id/stream`, like a CI build log: the timeline from its start (or
 * after Last-Event-ID), then live, then `event: end` and the end of the stream once the
 * workflow is finished. Streams are registered by workflow, so an event goes only to
 * the streams of its workflow; live events are held during the replay, as for
 * notifications, so that nothing is missed or sent twice.
 */
@Injectable()
export class TimelineStreamsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(TimelineStreamsService.name);
  private readonly registry = new StreamRegistry();
  /** Streams that have sent (or hold, to send at once) their workflow's final event. */
  private readonly finalSent = new WeakSet<SseConnection>();

  constructor(
    private readonly config: AppConfig,
    private readonly store: TimelineStore,
    private readonly feed: LiveFeed,
    private readonly workflows: WorkflowsService,
    private readonly admission: StreamAdmission,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.feed.subscribe({
      timeline: (workflowId, event) => this.deliver(workflowId, event),
      resumed: () => void this.catchUpAll(),
    });
  }

  /** This registry is not Nest's: its streams are ended here on shutdown. */
  beforeApplicationShutdown(): Promise<void> {
    return this.registry.endAll();
  }

  /** Number of open timeline streams, for leak checks. */
  get size(): number {
    return this.registry.size;
  }

  async open(
    user: AuthUser,
    workflowId: string,
    response: Response,
    lastEventId: string | null,
  ): Promise<Observable<never>> {
    await this.workflows.findVisible(user, workflowId);
    const release = this.admission.admit(user.id);
    const connection = new SseConnection({
      userId: user.id,
      key: workflowId,
      retryMs: this.config.retryMs,
      heartbeatMs: this.config.heartbeatMs,
      maxBufferedBytes: this.config.maxBufferedBytes,
      expiresAt: user.expiresAt,
      onClose: (closed, reason) => {
        this.registry.remove(closed);
        release();
        if (reason === 'slow-consumer') this.metrics.slowConsumersDropped.inc();
      },
    });
    // Not yet checked: resumePoint replaces a cursor this workflow never issued before any replay.
    connection.holdLive(lastEventId);
    this.registry.add(connection);
    return serveSse(response, connection, () => void this.start(connection, lastEventId));
  }

  private deliver(workflowId: string, event: TimelineEvent): void {
    this.registry.sendToUser(workflowId, frameTimelineEvent(event), event.id);
    if (!isFinal(event)) return;
    // Streams still replaying have it held, and end once their replay is done (see catchUp).
    for (const connection of this.registry.connectionsOf(workflowId)) {
      this.finalSent.add(connection);
      if (connection.isLive) this.finish(connection, event.type.replace('workflow.', ''));
    }
  }

  private async start(connection: SseConnection, lastEventId: string | null): Promise<void> {
    try {
      const after = lastEventId === null ? null : await this.resumePoint(connection, lastEventId);
      await this.catchUp(connection, after);
    } catch (error) {
      this.fail(connection, error);
    }
  }

  /**
   * Where a resumed stream replays from: after the client's cursor when it is one of this
   * workflow's, else the start, after `event: reset` (CONTRACT.md, "The notification
   * stream"). Any other cursor would make the stream drop every event as already sent.
   */
  private async resumePoint(
    connection: SseConnection,
    lastEventId: string,
  ): Promise<string | null> {
    const latestId = await this.store.latestCursor(connection.key);
    const malformed = parseCursor(lastEventId) === null;
    // A workflow's cursors run 1, 2, 3… without gaps, so any up to the latest is one of its own.
    if (!malformed && latestId !== null && !isAfter(lastEventId, latestId)) return lastEventId;
    const reason = malformed ? RESET_REASONS.malformed : RESET_REASONS.unknown;
    connection.write(frameControl('reset', { reason, latestId }));
    // Live events stay held: the replay from the start carries them, or they follow it.
    connection.holdLive(null);
    return null;
  }

  /** Replays after `cursor` (the start for null), goes live, and ends a finished workflow's stream. */
  private async catchUp(connection: SseConnection, cursor: string | null): Promise<void> {
    let after = cursor;
    while (connection.isOpen) {
      const page = await this.store.readAfter(connection.key, after, REPLAY_PAGE);
      for (const event of page) {
        connection.replay(frameTimelineEvent(event), event.id);
        if (isFinal(event)) this.finalSent.add(connection);
        await connection.drained();
      }
      if (page.length < REPLAY_PAGE) break;
      after = page[page.length - 1].id;
    }
    connection.goLive();
    const workflow: Workflow = await this.workflows.findAny(connection.key);
    if (workflow.status !== 'pending')
      await this.finishAfterFinalEvent(connection, workflow.status);
  }

  /**
   * Ends the stream of a finished workflow once the event that finished it is on the
   * stream. The workflow's status is written before its timeline records that event, so
   * a stream that opened in between has replayed without it: it is read again here (a
   * stream sends each cursor once), or, still being recorded, comes live and ends the
   * stream in deliver(). A client that resumed after it already has it: that stream
   * ends after a short wait.
   */
  private async finishAfterFinalEvent(connection: SseConnection, status: string): Promise<void> {
    if (!this.finalSent.has(connection)) {
      const rest = await this.store.readAfter(connection.key, connection.position, REPLAY_PAGE);
      for (const event of rest) {
        connection.send(frameTimelineEvent(event), event.id);
        if (isFinal(event)) this.finalSent.add(connection);
      }
    }
    if (this.finalSent.has(connection)) {
      this.finish(connection, status);
      return;
    }
    setTimeout(() => {
      if (connection.isOpen) this.finish(connection, status);
    }, FINAL_EVENT_WAIT_MS).unref();
  }

  private async catchUpAll(): Promise<void> {
    await Promise.all(
      [...this.registry.connections()].map((connection) => {
        connection.holdLive();
        return this.catchUp(connection, connection.position).catch((error: unknown) =>
          this.fail(connection, error),
        );
      }),
    );
  }

  private fail(connection: SseConnection, error: unknown): void {
    this.logger.error(`Timeline stream of ${connection.key} failed: ${String(error)}`);
    connection.end();
  }

  private finish(connection: SseConnection, status: string): void {
    connection.write(frameControl('end', { workflowId: connection.key, status }));
    connection.end();
  }
}

const RESET_REASONS = {
  malformed: 'The Last-Event-ID is not a cursor of this service',
  unknown: "The Last-Event-ID is not a cursor of this workflow's timeline",
} as const;

export function frameTimelineEvent(event: TimelineEvent): string {
  return frameEvent({ id: event.id, event: event.type, data: JSON.stringify(event.data) });
}
