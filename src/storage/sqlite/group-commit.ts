import type Database from 'better-sqlite3';
import { asError } from '../../as-error.js';

interface Pending {
  work: () => unknown;
  committed: ((result: unknown) => void) | undefined;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: Error };

/**
 * Group commit: the writes submitted while the event loop handles one round of I/O (the
 * concurrent requests that reached their write) run in ONE transaction at the end of that
 * round, and each promise settles only after that transaction committed. A commit costs
 * its WAL frames (every page it dirtied) and, now and then, a checkpoint with fsync: paid
 * once for the batch instead of once per request. Nothing is acknowledged before the
 * commit; deferring to the end of the round costs a request microseconds, not a wait.
 *
 * Each write runs in its own savepoint, so a write that throws undoes only itself and
 * rejects only its own caller; a failing COMMIT (a full disk, a lock held past the busy
 * timeout) rolls back the whole batch and rejects every caller in it.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  /**
   * Runs a function in a transaction, or in a savepoint when one is open already
   * (better-sqlite3 decides at each call). Made once: a wrapper made per write cost about
   * 1% of a publish's CPU, and its garbage (issue 16).
   */
  private readonly inTransaction: <T>(work: () => T) => T;

  /** `onBatch(writes)`: told the size of every batch run (a metric). */
  constructor(
    private readonly db: Database.Database,
    private readonly onBatch: (writes: number) => void = () => {},
  ) {
    this.inTransaction = db.transaction(<T>(work: () => T): T => work()) as <T>(work: () => T) => T;
  }

  /**
   * Runs `work` (synchronous statements) in the next batch; resolves with its result once
   * the batch committed. `committed` is called with that result right after the commit,
   * before any promise of the batch settles, in submission order: the order the writes
   * were made, so that what is handed on (the live feed) keeps cursor order.
   */
  submit<T>(work: () => T, committed?: (result: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        work,
        committed: committed as ((result: unknown) => void) | undefined,
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Runs what is pending now (also before the database closes). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.onBatch(batch.length);
    let outcomes: Outcome[];
    try {
      outcomes = this.inTransaction(() =>
        batch.map(({ work }): Outcome => {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a throw undoes this write only.
            return { ok: true, result: this.inTransaction(work) };
          } catch (error) {
            return { ok: false, error: asError(error) };
          }
        }),
      );
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      for (const { reject } of batch) reject(asError(error));
      return;
    }
    batch.forEach(({ committed, resolve, reject }, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) return reject(outcome.error);
      try {
        committed?.(outcome.result);
        resolve(outcome.result);
      } catch (error) {
        // As when a caller hands on what it wrote and that throws; the rest of the batch goes on.
        reject(asError(error));
      }
    });
  }
}
