/**
 * Where a document can be found besides its id: the index keys it is filed under (for a
 * workflow `starter:alice`, `approver:bob`...). Listing by keys answers documents newest
 * first, in the order they were inserted.
 */
export type IndexKeys<T> = (document: T) => readonly string[];

/** A page of documents filed under any of `anyOf` and none of `noneOf`. */
export interface IndexQuery {
  anyOf: readonly string[];
  noneOf?: readonly string[];
  /** At most this many, the newest. */
  limit: number;
}

/**
 * Durable JSON documents by collection and id, for the domain modules' own data
 * (messages, workflows). `update` reads, changes and writes one document atomically,
 * so two concurrent decisions on a workflow cannot both win.
 *
 * A document is kept for the retention (RETENTION_DAYS) after it was last touched (its
 * insert or latest update), then goes with its index entries (CONTRACT.md, "The inbox").
 * A backend whose entries expire by themselves does so; the others delete in
 * {@link DocumentStore.prune}.
 */
export abstract class DocumentStore {
  /**
   * Stores a new document; rejects if the id exists. With `index`, the document is filed
   * under `index(document)`, in the same atomic write, for {@link DocumentStore.list}.
   * Resolves with the document stored: `document`, or, when a request that may run again
   * (request-writes.ts) already stored its document in an earlier run, that one instead,
   * storing nothing; callers answer with what this resolves to.
   */
  abstract insert<T extends { id: string }>(
    collection: string,
    document: T,
    index?: IndexKeys<T>,
  ): Promise<T>;

  abstract get<T>(collection: string, id: string): Promise<T | null>;

  /**
   * Applies `change` to the stored document and stores its result. `change` may throw
   * (a 409, say) to leave the document as it was; it sees null for a missing id. It must
   * be pure: under contention a backend may run it again on the newer document. With
   * `index`, the document is filed again, in the same atomic write, under `index(result)`
   * instead of `index(previous)`, keeping its place in the order. When a request that
   * may run again (request-writes.ts) already made this update in an earlier run, resolves
   * with that run's result, changing nothing.
   */
  abstract update<T extends { id: string }>(
    collection: string,
    id: string,
    change: (current: T | null) => T,
    index?: IndexKeys<T>,
  ): Promise<T>;

  /**
   * The newest `limit` documents of the collection filed under any key of `anyOf` and
   * under no key of `noneOf`, newest (last inserted) first, each once.
   */
  abstract list<T>(collection: string, query: IndexQuery): Promise<T[]>;

  /**
   * Forgets the documents last touched before `cutoff`, and their index entries (or, where
   * documents expire by themselves, clears the index entries of those that expired).
   * Resolves with how many went.
   */
  abstract prune(cutoff: Date): Promise<number>;
}
