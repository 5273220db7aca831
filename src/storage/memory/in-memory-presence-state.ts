import { Injectable } from '@nestjs/common';
import {
  byUserId,
  PresenceHandlers,
  PresenceState,
  type Position,
  type PresenceEvent,
  type PresentUser,
} from '../../presence/presence-state.js';

/**
 * Presence for a single process: this instance's streams are all the streams there are,
 * so entering is joining and exiting is leaving. A document's entry goes when its last
 * user leaves, so nothing outlives the streams.
 */
@Injectable()
export class InMemoryPresenceState extends PresenceState {
  /** Document → present user → last position (null until they move). */
  private readonly documents = new Map<string, Map<string, Position | null>>();
  private handlers: PresenceHandlers | null = null;

  listen(handlers: PresenceHandlers): void {
    this.handlers = handlers;
  }

  enter(documentId: string, userId: string): Promise<void> {
    let users = this.documents.get(documentId);
    if (!users) {
      users = new Map();
      this.documents.set(documentId, users);
    }
    if (!users.has(userId)) {
      users.set(userId, null);
      this.emit(documentId, { type: 'join', userId });
    }
    return Promise.resolve();
  }

  exit(documentId: string, userId: string): Promise<void> {
    const users = this.documents.get(documentId);
    if (users?.delete(userId)) {
      if (users.size === 0) this.documents.delete(documentId);
      this.emit(documentId, { type: 'leave', userId });
    }
    return Promise.resolve();
  }

  move(documentId: string, userId: string, { x, y }: Position): Promise<void> {
    const users = this.documents.get(documentId);
    if (users?.has(userId)) {
      users.set(userId, { x, y });
      this.emit(documentId, { type: 'move', userId, x, y });
    }
    return Promise.resolve();
  }

  snapshot(documentId: string): Promise<PresentUser[]> {
    const present: PresentUser[] = [];
    for (const [userId, position] of this.documents.get(documentId) ?? []) {
      if (position) present.push({ userId, ...position });
    }
    return Promise.resolve(present.sort(byUserId));
  }

  /** Documents with at least one present user, for leak checks. */
  get documentCount(): number {
    return this.documents.size;
  }

  private emit(documentId: string, event: PresenceEvent): void {
    this.handlers?.event(documentId, event);
  }
}
