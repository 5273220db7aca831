/**
 * Durable JSON documents by collection and id, for the domain modules' own data
 * (messages, workflows). `update` reads, changes and writes one document atomically,
 * so two concurrent decisions on a workflow cannot both win.
 */
export abstract class DocumentStore {
  abstract insert<T extends { id: string }>(collection: string, document: T): Promise<void>;

  abstract get<T>(collection: string, id: string): Promise<T | null>;

  /**
   * Applies `change` to the stored document and stores its result. `change` may throw
   * (a 409, say) to leave the document as it was; it sees null for a missing id. It must
   * be pure: under contention a backend may run it again on the newer document.
   */
  abstract update<T extends { id: string }>(
    collection: string,
    id: string,
    change: (current: T | null) => T,
  ): Promise<T>;
}
