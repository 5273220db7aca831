/** Whether the storage backend can serve requests, for readiness checks. */
export abstract class StorageStatus {
  abstract readonly backend: 'sqlite' | 'redis';

  /** Resolves true when reads and writes can be served now; never rejects. */
  abstract isReady(): Promise<boolean>;
}
