import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { isAfter, parseCursor } from '../cursor.js';
import { LiveFeed } from '../storage/live-feed.js';
import { FINAL_TIMELINE_EVENTS, TimelineEvent, TimelineStore } from '../storage/timeline-store.js';
import { REPLAY_PAGE, type ResumableStream } from '../streaming/resumable-stream.js';
import { frameControl, frameEvent } from '../streaming/sse-frame.js';
import { StreamHub } from '../streaming/stream-hub.js';
import type { Workflow } from '../workflows/workflow.js';
import { WorkflowsService } from '../workflows/workflows.service.js';

/** How long a finished workflow's stream waits for the event that finished it. */
const FINAL_EVENT_WAIT_MS = 1000;

const isFinal = (event: TimelineEvent) => FINAL_TIMELINE_EVENTS.includes(event.type);

/**
 * `GET /workflows/:id/stream`, like a CI build log: the timeline from its start (or
 * after Last-Event-ID), then live, then `event: end` and the end of the stream once the
 * workflow is finished. The hub registers the streams by workflow, so an event goes only
 * to the streams of its workflow; live events are held during the replay, as for
 * notifications (see ResumableStream), so that nothing is missed or sent twice.
 */
@Injectable()
export class TimelineStreamsService implements OnModuleInit {
  private readonly logger = new Logger(TimelineStreamsService.name);
  /** Streams that have sent (or hold, to send at once) their workflow's final event. */
  private readonly finalSent = new WeakSet<ResumableStream>();

  constructor(
    private readonly hub: StreamHub,
    private readonly store: TimelineStore,
    private readonly feed: LiveFeed,
    private readonly workflows: WorkflowsService,
  ) {}

  onModuleInit(): void {
    this.feed.subscribe({
      timeline: (workflowId, event) => this.deliver(workflowId, event),
      resumed: () => void this.catchUpAll(),
    });
  }

  /** Number of open timeline streams, for leak checks. */
  get size(): number {
    return this.hub.workflows.size;
  }

  async open(
    user: AuthUser,
    workflowId: string,
    response: Response,
    lastEventId: string | null,
  ): Promise<Observable<never>> {
    await this.workflows.findVisible(user, workflowId);
    return this.hub.open(this.hub.workflows, workflowId, {
      user,
      response,
      // Not yet checked: resumePoint replaces a cursor this workflow never issued before any replay.
      lastEventId,
      onOpen: (stream) => void stream.inTurn(() => this.start(stream, lastEventId)),
    }).served;
  }

  private deliver(workflowId: string, event: TimelineEvent): void {
    this.hub.workflows.sendTo(workflowId, frameTimelineEvent(event), event.id);
    if (!isFinal(event)) return;
    // Streams still replaying have it held, and end once their replay is done (see catchUp).
    for (const stream of this.hub.workflows.connectionsOf(workflowId)) {
      this.finalSent.add(stream);
      if (stream.isLive) this.finish(stream, event.type.replace('workflow.', ''));
    }
  }

  private async start(stream: ResumableStream, lastEventId: string | null): Promise<void> {
    try {
      const after = lastEventId === null ? null : await this.resumePoint(stream, lastEventId);
      await this.catchUp(stream, after);
    } catch (error) {
      this.fail(stream, error);
    }
  }

  /**
   * Where a resumed stream replays from: after the client's cursor when it is one of this
   * workflow's, else the start, after `event: reset` (CONTRACT.md, "The notification
   * stream"). Any other cursor would make the stream drop every event as already sent.
   */
  private async resumePoint(stream: ResumableStream, lastEventId: string): Promise<string | null> {
    const latestId = await this.store.latestCursor(stream.id);
    const malformed = parseCursor(lastEventId) === null;
    // A workflow's cursors run 1, 2, 3… without gaps, so any up to the latest is one of its own.
    if (!malformed && latestId !== null && !isAfter(lastEventId, latestId)) return lastEventId;
    stream.reset(malformed ? 'malformed' : 'notInTimeline', latestId);
    // Live events stay held: the replay from the start carries them, or they follow it.
    stream.holdLive(null);
    return null;
  }

  /** Replays after `cursor` (the start for null), goes live, and ends a finished workflow's stream. */
  private async catchUp(stream: ResumableStream, cursor: string | null): Promise<void> {
    await stream.replayThenLive(
      (after, limit) => this.store.readAfter(stream.id, after, limit),
      frameTimelineEvent,
      cursor,
      (page) => {
        if (page.some(isFinal)) this.finalSent.add(stream);
      },
    );
    const workflow: Workflow = await this.workflows.findAny(stream.id);
    if (workflow.status !== 'pending') await this.finishAfterFinalEvent(stream, workflow.status);
  }

  /**
   * Ends the stream of a finished workflow once the event that finished it is on the
   * stream. The workflow's status is written before its timeline records that event, so
   * a stream that opened in between has replayed without it: it is read again here (a
   * stream sends each cursor once), or, still being recorded, comes live and ends the
   * stream in deliver(). A client that resumed after it already has it: that stream
   * ends after a short wait.
   */
  private async finishAfterFinalEvent(stream: ResumableStream, status: string): Promise<void> {
    if (!this.finalSent.has(stream)) {
      const rest = await this.store.readAfter(stream.id, stream.position, REPLAY_PAGE);
      for (const event of rest) {
        stream.send(frameTimelineEvent(event), event.id);
        if (isFinal(event)) this.finalSent.add(stream);
      }
    }
    if (this.finalSent.has(stream)) {
      this.finish(stream, status);
      return;
    }
    setTimeout(() => {
      if (stream.isOpen) this.finish(stream, status);
    }, FINAL_EVENT_WAIT_MS).unref();
  }

  private async catchUpAll(): Promise<void> {
    await Promise.all(
      [...this.hub.workflows.connections()].map((stream) => {
        stream.holdLive();
        return stream
          .inTurn(() => this.catchUp(stream, stream.position))
          .catch((error: unknown) => this.fail(stream, error));
      }),
    );
  }

  private fail(stream: ResumableStream, error: unknown): void {
    this.logger.error(`Timeline stream of ${stream.id} failed: ${String(error)}`);
    stream.end();
  }

  private finish(stream: ResumableStream, status: string): void {
    stream.write(frameControl('end', { workflowId: stream.id, status }));
    stream.end();
  }
}

export function frameTimelineEvent(event: TimelineEvent): string {
  return frameEvent({ id: event.id, event: event.type, data: JSON.stringify(event.data) });
}
