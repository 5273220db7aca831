/**
 * Each user's notification preferences (CONTRACT.md, "The inbox": `GET`/`PUT
 * /notifications/preferences`): the types they turned off. Stored as the muted set only,
 * so that every type, also one published later, is on unless turned off. The store
 * takes any type name; which may be turned off (never `announcement`) and which names
 * are valid is decided by the caller.
 */
export abstract class PreferenceStore {
  /** The types the user turned off, sorted; empty for a user who never changed anything. */
  abstract mutedTypes(userId: string): Promise<string[]>;

  /**
   * Applies `changes` atomically (`true` turns a type on, removing it from the muted set;
   * `false` turns it off) and resolves with the user's muted types after it, sorted.
   * Types not named keep their setting. Publishes the user and their muted types on the
   * {@link LiveFeed} (`preferences`) as part of the write, so that every instance applies
   * the change to the user's streams, in the order of the writes.
   */
  abstract setTypes(userId: string, changes: Readonly<Record<string, boolean>>): Promise<string[]>;
}
