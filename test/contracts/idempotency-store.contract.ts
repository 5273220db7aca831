import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { IdempotencyStore, type StoredAnswer } from '../../src/storage/idempotency-store.js';

export interface OpenedIdempotencyStore {
  store: IdempotencyStore;
  close(): Promise<void>;
}

const LEASE = 60_000;
const DAY = 24 * 60 * 60 * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ANSWER: StoredAnswer = {
  status: 201,
  body: { id: '42', to: [], data: { nested: { list: [1, 'ü', null] }, empty: {} } },
};

/**
 * The behaviour every {@link IdempotencyStore} must have. `open` gives a fresh, empty
 * store per test.
 */
export function describeIdempotencyStore(
  name: string,
  open: () => Promise<OpenedIdempotencyStore>,
): void {
  describe(`${IdempotencyStore.name} contract: ${name}`, () => {
    let opened: OpenedIdempotencyStore;
    let store: IdempotencyStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    /** Claims and returns the token, failing if the key was not free. */
    async function claimed(scope: string, key: string, fingerprint = 'f1', leaseMs = LEASE) {
      const claim = await store.claim(scope, key, fingerprint, leaseMs);
      if (claim.state !== 'claimed') throw new Error(`${scope}/${key} is ${claim.state}`);
      return claim.token;
    }

    it('claims a free key, and reports it pending with its fingerprint to the next claim', async () => {
      await claimed('alice', 'k');
      expect(await store.claim('alice', 'k', 'f2', LEASE)).toEqual({
        state: 'pending',
        fingerprint: 'f1',
      });
    });

    it('gives back a completed answer exactly as stored', async () => {
      const token = await claimed('alice', 'k');
      await store.complete('alice', 'k', token, 'f1', ANSWER, DAY);
      expect(await store.claim('alice', 'k', 'f1', LEASE)).toEqual({
        state: 'done',
        fingerprint: 'f1',
        answer: ANSWER,
      });
    });

    it('frees a released key for the next claim', async () => {
      const token = await claimed('alice', 'k');
      await store.release('alice', 'k', token);
      await claimed('alice', 'k', 'f2');
    });

    it('ignores a complete or release with a token that no longer holds the key', async () => {
      const stale = await claimed('alice', 'k', 'f1', 30);
      await sleep(60);
      const token = await claimed('alice', 'k', 'f2');
      await store.complete('alice', 'k', stale, 'f1', ANSWER, DAY);
      await store.release('alice', 'k', stale);
      expect(await store.claim('alice', 'k', 'f2', LEASE)).toEqual({
        state: 'pending',
        fingerprint: 'f2',
      });
      await store.complete('alice', 'k', token, 'f2', ANSWER, DAY);
      expect(await store.claim('alice', 'k', 'f2', LEASE)).toMatchObject({ state: 'done' });
    });

    it('keeps the keys of each scope apart, also where scope and key spell alike', async () => {
      const token = await claimed('a:b', 'c');
      await store.complete('a:b', 'c', token, 'f1', ANSWER, DAY);
      await claimed('a', 'b:c');
      await claimed('bob', 'c');
    });

    it('forgets a claim after its lease and an answer after its time to live', async () => {
      await claimed('alice', 'lease', 'f1', 30);
      const token = await claimed('alice', 'ttl');
      await store.complete('alice', 'ttl', token, 'f1', ANSWER, 30);
      await sleep(60);
      await claimed('alice', 'lease', 'f2');
      await claimed('alice', 'ttl', 'f2');
    });

    it('gives a key to exactly one of many claims made at once', async () => {
      const claims = await Promise.all(
        Array.from({ length: 20 }, () => store.claim('alice', 'race', 'f1', LEASE)),
      );
      expect(claims.filter((claim) => claim.state === 'claimed')).toHaveLength(1);
      expect(claims.filter((claim) => claim.state === 'pending')).toHaveLength(19);
    });
  });
}
