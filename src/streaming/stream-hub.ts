import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { AppConfig } from '../config.js';
import { StreamAdmission } from '../limits/stream-admission.js';
import { logStreamOpened } from '../logging/stream-log.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { endForShutdown } from './end-for-shutdown.js';
import { ResumableStream } from './resumable-stream.js';
import { type CloseReason, SseConnection } from './sse-connection.js';
import { serveSse } from './sse-observable.js';
import { StreamClock } from './stream-clock.js';
import { StreamRegistry } from './stream-registry.js';

/** What a service says when it opens a stream; the hub does the rest. */
export interface StreamRequest {
  user: AuthUser;
  response: Response;
  /**
   * The client's Last-Event-ID (null for a fresh stream): live events are held from
   * the moment the stream is registered until the service calls `goLive`, and those at
   * or before this cursor are dropped.
   */
  lastEventId: string | null;
  /** Runs once the stream is registered, before its response is served. */
  onRegistered?: (stream: ResumableStream) => void;
  /** Runs once the stream has sent `retry:` (to start a replay, say). */
  onOpen?: (stream: ResumableStream) => void;
  /** Runs once, after the stream is deregistered, whatever ended it. */
  onClose?: (stream: ResumableStream, reason: CloseReason) => void;
}

/**
 * Owns every stream of this instance, of every kind: it admits a stream (the shared
 * MAX_STREAMS and MAX_STREAMS_PER_USER), logs its open and close, registers it under
 * its id in its kind's registry, deregisters it on close by itself (the connection's one
 * cleanup path), counts slow-consumer drops, and ends every stream on shutdown.
 * Services only say what to send: on open, and to which id.
 */
@Injectable()
export class StreamHub implements BeforeApplicationShutdown {
  /** Notification streams, by user id. */
  readonly users = new StreamRegistry('notifications');
  /** Workflow timeline streams, by workflow id. */
  readonly workflows = new StreamRegistry('timeline');
  /** Presence streams, by document id. */
  readonly documents = new StreamRegistry('presence');
  private readonly logger = new Logger(StreamHub.name);
  /** The heartbeats and token deadlines of every stream here: a few timers in all. */
  private readonly clock = new StreamClock();

  constructor(
    private readonly config: AppConfig,
    private readonly admission: StreamAdmission,
    private readonly metrics: MetricsService,
  ) {
    metrics.countStreamsWith(() =>
      [this.users, this.workflows, this.documents].map((registry) => [
        registry.kind,
        registry.size,
      ]),
    );
  }

  /**
   * Opens a stream of `request.user` under `id` in `registry` (one of this hub's) and
   * returns it with the Observable its `@Sse` route returns. Throws the admission's
   * 503 or 429 when a limit is reached, having opened nothing.
   */
  open(
    registry: StreamRegistry,
    id: string,
    request: StreamRequest,
  ): { stream: ResumableStream; served: Observable<never> } {
    // Taken apart: the request and its onRegistered are not held for the stream's life.
    const { user, lastEventId, onRegistered, onOpen, onClose } = request;
    const release = this.admission.admit(user.id);
    const logClosed = logStreamOpened(this.logger, {
      kind: registry.kind,
      userId: user.id,
      resumed: lastEventId !== null,
    });
    const connection = new SseConnection({
      userId: user.id,
      key: id,
      retryMs: this.config.retryMs,
      heartbeatMs: this.config.heartbeatMs,
      maxBufferedBytes: this.config.maxBufferedBytes,
      expiresAt: user.expiresAt,
      clock: this.clock,
      onClose: (closed, reason) => {
        registry.remove(stream);
        release();
        if (reason === 'slow-consumer') this.metrics.slowConsumersDropped.inc();
        logClosed(reason, closed.bytesSent);
        onClose?.(stream, reason);
      },
    });
    const stream = new ResumableStream(connection, id);
    // Held before it is registered, so that nothing published from now on is missed.
    stream.holdLive(lastEventId);
    // Registered now, not on subscribe, so that concurrent opens count against the limit.
    registry.add(stream);
    onRegistered?.(stream);
    const served = serveSse(request.response, connection, onOpen && (() => onOpen(stream)));
    return { stream, served };
  }

  /** Open streams of every kind. */
  get size(): number {
    return this.users.size + this.workflows.size + this.documents.size;
  }

  /**
   * `app.close()` (SIGTERM, tests): every stream ends here, each as a shutdown, before
   * Nest closes the server and destroys the sockets that remain; resolves once their
   * responses are complete (see {@link endForShutdown}). Overriding `app.close` cannot
   * do it: Nest's application proxy ignores assignments.
   */
  beforeApplicationShutdown(): Promise<void> {
    return endForShutdown([
      ...this.users.connections(),
      ...this.workflows.connections(),
      ...this.documents.connections(),
    ]);
  }
}
