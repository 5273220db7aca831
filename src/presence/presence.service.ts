import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import type { ResumableStream } from '../streaming/resumable-stream.js';
import { frameControl } from '../streaming/sse-frame.js';
import { StreamHub } from '../streaming/stream-hub.js';
import { DocumentPresence } from './document-presence.js';
import { PresenceState, type Position, type PresentUser } from './presence-state.js';

/**
 * What this instance's presence streams send (CONTRACT.md, "Resource streams"; the hub
 * opens, counts and closes them, by document): a snapshot, then joins, leaves and moves.
 * It hands the shared {@link PresenceState} a user's first and last stream on a document
 * here. Presence never touches the notification store: it is ephemeral.
 *
 * A stream's presence is recorded before its response starts, so that a client may move
 * as soon as its EventSource is open. Live events are held from the moment the stream is
 * registered until its snapshot is written, so none falls between the two; one that the
 * snapshot already reflects may follow it, which a client applies harmlessly.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PresenceService.name);
  /** What each document with a presence stream here is sent (moves being coalesced). */
  private readonly documents = new Map<string, DocumentPresence>();
  /** Exits not yet written to the shared state; shutdown waits for them. */
  private readonly pendingExits = new Set<Promise<void>>();

  constructor(
    private readonly hub: StreamHub,
    private readonly state: PresenceState,
  ) {}

  onModuleInit(): void {
    this.state.listen({
      event: (documentId, event) => this.documents.get(documentId)?.deliver(event),
      // Events were lost: the clients reconnect and start from a fresh snapshot.
      resync: () => this.endAll(),
    });
  }

  /**
   * Ends every presence stream, so that clients reconnect (elsewhere) and users leave:
   * here, before the hub ends the other streams, while the shared state still takes the
   * exits.
   */
  async onModuleDestroy(): Promise<void> {
    await this.hub.documents.endAll();
    await Promise.allSettled([...this.pendingExits]);
  }

  async open(user: AuthUser, documentId: string, response: Response): Promise<Observable<never>> {
    const streams = this.hub.documents;
    let entered: Promise<void> = Promise.resolve();
    let snapshot: PresentUser[] = [];
    // Served before the awaits, so that a client leaving meanwhile closes the connection.
    const { stream, served } = this.hub.open(streams, documentId, {
      user,
      response,
      lastEventId: null,
      onRegistered: () => {
        if (!this.documents.has(documentId)) {
          this.documents.set(documentId, new DocumentPresence(streams, documentId));
        }
        if (streams.countFor(documentId, user.id) === 1) {
          entered = this.state.enter(documentId, user.id);
        }
      },
      onOpen: (opened) => {
        opened.write(frameControl('snapshot', { users: snapshot }));
        opened.goLive();
      },
      onClose: (closed) => this.remove(documentId, closed),
    });
    try {
      await entered;
      snapshot = await this.state.snapshot(documentId);
    } catch (error) {
      stream.close('error');
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
    let coalescing = 0;
    for (const document of this.documents.values()) coalescing += document.coalescing;
    const { size: streams, userCount: users } = this.hub.documents;
    return { documents: this.documents.size, streams, users, coalescing };
  }

  /** Runs once a presence stream has closed (and left the hub): the user's last here leaves. */
  private remove(documentId: string, stream: ResumableStream): void {
    const streams = this.hub.documents;
    if (streams.countFor(documentId) === 0) {
      this.documents.get(documentId)?.dispose();
      this.documents.delete(documentId);
    }
    if (streams.countFor(documentId, stream.userId) === 0) {
      this.trackExit(this.state.exit(documentId, stream.userId));
    }
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
    for (const stream of this.hub.documents.connections()) stream.end();
  }
}
