import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  IdempotencyStore,
  type IdempotencyClaim,
  type StoredAnswer,
} from '../idempotency-store.js';
import { LuaScript } from './lua-script.js';

export interface RedisIdempotencyStoreOptions {
  /** Shared with the service's other keys: these live under `<keyPrefix>idempotency:`. */
  keyPrefix: string;
}

/** The JSON string stored under a key: `answer` is absent while the claim is pending. */
interface Entry {
  fingerprint: string;
  token: string;
  answer?: StoredAnswer;
}

/** Returns what holds KEYS[1], or claims it with ARGV[1] for ARGV[2] ms and returns false. */
const CLAIM = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`);

/**
 * Runs only while KEYS[1] is still claimed with token ARGV[1] (a lapsed lease may have
 * let another request claim it): with ARGV[2], replaces it for ARGV[3] ms; without, deletes it.
 */
const FINISH = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).token ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`);

/**
 * The shared {@link IdempotencyStore}: one string per caller and key, with the lease or
 * the time to live as its expiry, so that Redis forgets every key by itself. A script
 * claims, so two instances claiming the same key at once cannot both get it.
 */
export class RedisIdempotencyStore extends IdempotencyStore {
  private readonly namespace: string;

  constructor(
    private readonly redis: Redis,
    options: RedisIdempotencyStoreOptions,
  ) {
    super();
    this.namespace = `${options.keyPrefix}idempotency:`;
  }

  async claim(
    scope: string,
    key: string,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyClaim> {
    const token = randomUUID();
    const entry: Entry = { fingerprint, token };
    let current: unknown;
    try {
      current = await CLAIM.run(
        this.redis,
        [this.key(scope, key)],
        [JSON.stringify(entry), leaseMs],
      );
    } catch (error) {
      // The claim may have run all the same (a timeout): give it up, so that a retry is
      // not told for a whole lease that this request still runs. Sent after the claim on
      // the same connection, it runs after it; a FINISH with another token does nothing.
      this.release(scope, key, token).catch(() => undefined);
      throw error;
    }
    if (typeof current !== 'string') return { state: 'claimed', token };
    const held = JSON.parse(current) as Entry;
    return held.answer === undefined
      ? { state: 'pending', fingerprint: held.fingerprint }
      : { state: 'done', fingerprint: held.fingerprint, answer: held.answer };
  }

  async complete(
    scope: string,
    key: string,
    token: string,
    fingerprint: string,
    answer: StoredAnswer,
    ttlMs: number,
  ): Promise<void> {
    const entry: Entry = { fingerprint, token, answer };
    await FINISH.run(this.redis, [this.key(scope, key)], [token, JSON.stringify(entry), ttlMs]);
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    await FINISH.run(this.redis, [this.key(scope, key)], [token, '', 0]);
  }

  /** The scope's length first, so that no scope and key pair can spell another's. */
  private key(scope: string, key: string): string {
    return `${this.namespace}${scope.length}:${scope}:${key}`;
  }
}
