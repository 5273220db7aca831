/** The answer a keyed publish request got, to be given again to a repeat of it. */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

/**
 * What {@link IdempotencyStore.claim} found: the caller now holds the key (`claimed`,
 * with the token that completes or releases it), or someone holds it already, with the
 * fingerprint of their request and, once they finished, their answer.
 */
export type IdempotencyClaim =
  | { state: 'claimed'; token: string }
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; answer: StoredAnswer };

/**
 * The `Idempotency-Key`s of publishing requests (CONTRACT.md, "Idempotent publishing"),
 * per caller. A key is claimed atomically before its request runs, so of two identical
 * requests arriving together exactly one runs; the other sees it `pending`, then `done`.
 * A claim that is neither completed nor released (the process died) lapses after its
 * lease; a completed key lapses after its time to live.
 */
export abstract class IdempotencyStore {
  /**
   * Claims `key` of `scope` (the caller's user id) for a request with `fingerprint`, for
   * `leaseMs`, unless a live claim or answer exists: then that one is reported instead.
   */
  abstract claim(
    scope: string,
    key: string,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyClaim>;

  /**
   * Stores the answer of a claim still held with `token` (made for `fingerprint`),
   * kept for `ttlMs`.
   */
  abstract complete(
    scope: string,
    key: string,
    token: string,
    fingerprint: string,
    answer: StoredAnswer,
    ttlMs: number,
  ): Promise<void>;

  /** Gives up a claim still held with `token`, so that a retry runs the request again. */
  abstract release(scope: string, key: string, token: string): Promise<void>;
}
