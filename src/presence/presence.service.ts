import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { AppConfig } from '../config.js';
import { StreamAdmission } from '../limits/stream-admission.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { endForShutdown } from '../streaming/end-for-shutdown.js';
import { SseConnection } from '../streaming/sse-connection.js';
import { frameControl } from '../streaming/sse-frame.js';
import { serveSse } from '../streaming/sse-observable.js';
import { DocumentStreams } from './document-streams.js';
import { PresenceState, type Position, type PresentUser } from './presence-state.js';

/**
 * This instance's presence streams (CONTRACT.md, "Resource streams"): opens them, counts
 * them per document and user, and hands the shared {@link PresenceState} a user's first
 * and last stream here. Presence never touches the notification store: it is ephemeral.
 *
 * A stream's presence is recorded before its response starts, so that a client may move
 * as soon as its EventSource is open. Live events are held from the moment the stream is
 * registered until its snapshot is written, so none falls between the two; one that the
 * snapshot already reflects may follow it, which a client applies harmlessly.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PresenceService.name);
  private readonly documents = new Map<string, DocumentStreams>();
  /** Exits not yet written to the shared state; shutdown waits for them. */
  private readonly pendingExits = new Set<Promise<void>>();

  constructor(
    private readonly config: AppConfig,
    private readonly state: PresenceState,
    private readonly admission: StreamAdmission,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.state.listen({
      event: (documentId, event) => this.documents.get(documentId)?.deliver(event),
      // Events were lost: the clients reconnect and start from a fresh snapshot.
      resync: () => this.endAll(),
    });
  }

  /** Ends every presence stream, so that clients reconnect (elsewhere) and users leave. */
  async onModuleDestroy(): Promise<void> {
    await endForShutdown(this.all());
    await Promise.allSettled([...this.pendingExits]);
  }

  async open(user: AuthUser, documentId: string, response: Response): Promise<Observable<never>> {
    const release = this.admission.admit(user.id);
    const connection = new SseConnection({
      userId: user.id,
      retryMs: this.config.retryMs,
      heartbeatMs: this.config.heartbeatMs,
      maxBufferedBytes: this.config.maxBufferedBytes,
      expiresAt: user.expiresAt,
      onClose: (closed, reason) => {
        this.remove(documentId, closed);
        release();
        if (reason === 'slow-consumer') this.metrics.slowConsumersDropped.inc();
      },
    });
    connection.holdLive(null);
    let streams = this.documents.get(documentId);
    if (!streams) {
      streams = new DocumentStreams();
      this.documents.set(documentId, streams);
    }
    const first = streams.add(connection);
    const entered = first ? this.state.enter(documentId, user.id) : Promise.resolve();
    let snapshot: PresentUser[] = [];
    // Served before the awaits, so that a client leaving meanwhile closes the connection.
    const served = serveSse(response, connection, () => {
      connection.write(frameControl('snapshot', { users: snapshot }));
      connection.goLive();
    });
    try {
      await entered;
      snapshot = await this.state.snapshot(documentId);
    } catch (error) {
      connection.close();
      throw error;
    }
    return served;
  }

  /** Moves the caller on the document; ignored (still 204) while they have no stream on it. */
  move(user: AuthUser, documentId: string, position: Position): Promise<void> {
    return this.state.move(documentId, user.id, { x: position.x, y: position.y });
  }

  /** Sizes of every map and timer set, for leak checks: all 0 once every stream closed. */
  get counts(): { documents: number; streams: number; users: number; coalescing: number } {
    const counts = { documents: this.documents.size, streams: 0, users: 0, coalescing: 0 };
    for (const streams of this.documents.values()) {
      counts.streams += streams.counts.streams;
      counts.users += streams.counts.users;
      counts.coalescing += streams.counts.coalescing;
    }
    return counts;
  }

  /** The one cleanup path of a presence stream, run once by its connection's close. */
  private remove(documentId: string, connection: SseConnection): void {
    const streams = this.documents.get(documentId);
    if (!streams) return;
    const last = streams.remove(connection);
    if (streams.isEmpty) {
      streams.dispose();
      this.documents.delete(documentId);
    }
    if (last) this.trackExit(this.state.exit(documentId, connection.userId));
  }

  private trackExit(exit: Promise<void>): void {
    const tracked = exit
      .catch((error: unknown) => {
        // The shared state expires the user's presence by itself (Redis: within the TTL).
        this.logger.warn(`Could not record a presence exit: ${String(error)}`);
      })
      .finally(() => this.pendingExits.delete(tracked));
    this.pendingExits.add(tracked);
  }

  private endAll(): void {
    for (const connection of this.all()) connection.end();
  }

  private all(): SseConnection[] {
    return [...this.documents.values()].flatMap((streams) => [...streams.connections()]);
  }
}
