/** A point on a document, as the client sent it (finite numbers, no unit imposed). */
export interface Position {
  x: number;
  y: number;
}

/** A present user whose position is known: an entry of the `snapshot` event. */
export interface PresentUser extends Position {
  userId: string;
}

/** Snapshot order: by user id, so that it does not depend on the backend. */
export const byUserId = (a: PresentUser, b: PresentUser): number =>
  a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;

/** What happens on a document, as every instance hears it (CONTRACT.md, "Resource streams"). */
export type PresenceEvent =
  | { type: 'join'; userId: string }
  | ({ type: 'move'; userId: string } & Position)
  | { type: 'leave'; userId: string };

/** What an instance does with what the shared state tells it. */
export interface PresenceHandlers {
  /** Something happened on a document (on any instance, this one included). */
  event(documentId: string, event: PresenceEvent): void;
  /**
   * The state was out of reach (a Redis outage) and is back: events may have been
   * missed, so the open streams' view of their documents can no longer be trusted.
   */
  resync(): void;
}

/**
 * Who is present on which document, shared by every instance of the service. A user is
 * present on a document while at least one of their presence streams on it is open, on
 * any instance; their position is kept only while they are present.
 *
 * The caller (one instance's {@link PresenceService}) counts its own streams and calls
 * {@link enter} for a user's first stream on a document on this instance and {@link exit}
 * after their last, so an implementation only has to combine instances. Implementations
 * (chosen by the storage module): in memory for one process (src/storage/memory), Redis
 * for many (src/storage/redis).
 */
export abstract class PresenceState {
  /** Registers this instance's handlers; called once. */
  abstract listen(handlers: PresenceHandlers): void;

  /** This instance holds a stream of the user on the document: `join` if nobody held one. */
  abstract enter(documentId: string, userId: string): Promise<void>;

  /** This instance no longer holds one: `leave` if no instance does. */
  abstract exit(documentId: string, userId: string): Promise<void>;

  /**
   * Records a present user's position and relays a `move`; a user who is not present is
   * ignored, since nothing would ever announce their `leave`.
   */
  abstract move(documentId: string, userId: string, position: Position): Promise<void>;

  /** Every present user whose position is known, ordered by user id. */
  abstract snapshot(documentId: string): Promise<PresentUser[]>;
}
