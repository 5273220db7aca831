import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The writes of one run of a request that may be run again (a publish under an
 * `Idempotency-Key`, CONTRACT.md "Idempotent publishing"), named so that a later run of
 * the same request finds them. A store that supports it records, in the same atomic step
 * as a write, what the write produced under {@link RequestWrites.next}'s name, and a
 * write whose name is already recorded does nothing and answers the recorded result.
 *
 * This is what makes a retry safe after a 503 whose outcome is unknown (a Redis command
 * timed out or its connection dropped after it was sent, so it may have run or may still
 * run): the retry runs the request again, and each write the first run made, or makes
 * later, happens once, whichever comes first. A request's writes are named by kind and
 * order (`documents.insert:messages#1`), which a handler repeats exactly when it is given
 * the same input and the results of its earlier writes.
 */
export class RequestWrites {
  private readonly counts = new Map<string, number>();

  /** `id` names the request: caller, key and body; `ttlMs`: how long results are kept. */
  constructor(
    readonly id: string,
    readonly ttlMs: number,
  ) {}

  /** The name of this run's next write of `kind`: the same in every run of the request. */
  next(kind: string): string {
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    return `${this.id}:${kind}#${count}`;
  }
}

const current = new AsyncLocalStorage<RequestWrites>();

/** Runs `work` (and everything it starts) as the run of `writes`'s request. */
export function runAsRequest<T>(writes: RequestWrites, work: () => T): T {
  return current.run(writes, work);
}

/** The writes of the request being run, or null outside one that may be run again. */
export function currentRequestWrites(): RequestWrites | null {
  return current.getStore() ?? null;
}
