import type { Redis } from 'ioredis';
import { DocumentStore, type IndexKeys, type IndexQuery } from '../document-store.js';
import { currentRequestWrites } from '../request-writes.js';
import { expirePersistent } from './expire-persistent.js';
import { LuaScript } from './lua-script.js';

export interface RedisDocumentStoreOptions {
  /**
   * Shared with the service's other keys: documents live under `<keyPrefix>documents:`,
   * index entries in the sorted sets `<keyPrefix>document-index:<collection>:<key>` (member
   * the id, score the document's place in the order, from the counter `<keyPrefix>document-seq`).
   */
  keyPrefix: string;
  /** How long a document is kept after it was last touched (RETENTION_DAYS). */
  retentionMs: number;
}

/*
 * Retention. Every write sets the document's key to expire ARGV retention ms later, so an
 * unindexed document (a message, an announcement) needs nothing else. An indexed one (a
 * workflow) also leaves entries in its index sets, which must go when it does; so a write
 * of one also
 *   - gives each set it files the document under the same time to live, and the counter
 *     and the two keys below too: a key refreshed with every write of its documents
 *     expires no sooner than any of them (so nothing outlives the retention, and the
 *     counter only starts again once every indexed document is gone);
 *   - notes the document in `document-filed` (hash: document key -> JSON [id, [sets]]) and
 *     `document-expiry` (zset: document key scored by when it expires), so that prune
 *     takes the entries of the documents that expired, and only those: its cost is what
 *     expired, not what is kept.
 * A listing skips an entry whose document has expired but is not yet swept.
 */
const FILING = `
local function file(key, id, sets, retention, now)
  redis.call('HSET', KEYS[4], key, cjson.encode({ id, sets }))
  redis.call('ZADD', KEYS[3], now + retention, key)
  for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], retention) end
  for _, set in ipairs(sets) do redis.call('PEXPIRE', set, retention) end
end
`;

/**
 * KEYS: the document, the counter, document-expiry, document-filed, then its index sets.
 * ARGV: the JSON, the id, the request write's record key (or ''), its ttl, the retention,
 * now (ms). Stores the JSON unless a document is there, files the id under each set with
 * the next number of the counter. A record of an earlier run of the same request
 * (request-writes.ts) holds the document that run stored: nothing is stored, that is returned.
 */
const INSERT = new LuaScript(`${FILING}
if ARGV[3] ~= '' then
  local earlier = redis.call('GET', ARGV[3])
  if earlier then return earlier end
end
local retention, now = tonumber(ARGV[5]), tonumber(ARGV[6])
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', retention) then return 0 end
if #KEYS > 4 then
  local seq = redis.call('INCR', KEYS[2])
  local sets = {}
  for i = 5, #KEYS do
    redis.call('ZADD', KEYS[i], seq, ARGV[2])
    sets[#sets + 1] = KEYS[i]
  end
  file(KEYS[1], ARGV[2], sets, retention, now)
end
if ARGV[3] ~= '' then redis.call('SET', ARGV[3], ARGV[1], 'PX', ARGV[4]) end
return 1
`);

/**
 * KEYS: the document, the counter, document-expiry, document-filed, the ARGV[4] sets of
 * the previous document, then those of the new one. ARGV: the previous JSON ('' for none:
 * a stored document is never empty), the new JSON, the id, the count of previous sets,
 * the record key (or '') and its ttl, the retention, now (ms).
 * Writes the new JSON if the document is still the previous one, and records it as the
 * update of a request that may run again (request-writes.ts). Compare-and-set instead of
 * WATCH/MULTI/EXEC because WATCH belongs to a connection, and this store's connection is
 * shared by concurrent requests. Then moves the id out of the previous sets into the new
 * ones, at the place it had or, if it had none, the next number of the counter. Without
 * sets either side (an update that does not index), it stays filed where it was, for as
 * long as the document is kept.
 */
const COMPARE_AND_SET = new LuaScript(`${FILING}
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
local retention, now = tonumber(ARGV[7]), tonumber(ARGV[8])
redis.call('SET', KEYS[1], ARGV[2], 'PX', retention)
if ARGV[5] ~= '' then redis.call('SET', ARGV[5], ARGV[2], 'PX', ARGV[6]) end
local last_old = 4 + tonumber(ARGV[4])
local seq = false
for i = 5, last_old do
  seq = seq or redis.call('ZSCORE', KEYS[i], ARGV[3])
  redis.call('ZREM', KEYS[i], ARGV[3])
end
if #KEYS > last_old then
  seq = seq or redis.call('INCR', KEYS[2])
  local sets = {}
  for i = last_old + 1, #KEYS do
    redis.call('ZADD', KEYS[i], seq, ARGV[3])
    sets[#sets + 1] = KEYS[i]
  end
  file(KEYS[1], ARGV[3], sets, retention, now)
elseif last_old > 4 then
  redis.call('HDEL', KEYS[4], KEYS[1])
  redis.call('ZREM', KEYS[3], KEYS[1])
else
  local filed = redis.call('HGET', KEYS[4], KEYS[1])
  if filed then file(KEYS[1], ARGV[3], cjson.decode(filed)[2], retention, now) end
end
return 1
`);

/**
 * KEYS: document-expiry, document-filed. ARGV: now (ms), batch, the retention. One bounded
 * step of taking the index entries of expired documents: up to batch of those due by now;
 * one still there (clocks disagree) is scored again by its own time to live. Returns how
 * many were taken and 1 when there may be more.
 */
const SWEEP_STEP = new LuaScript(`
local now, batch = tonumber(ARGV[1]), tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, batch)
local taken = 0
for _, key in ipairs(due) do
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then
    redis.call('PEXPIRE', key, ARGV[3])
    ttl = tonumber(ARGV[3])
  end
  if ttl >= 0 then
    redis.call('ZADD', KEYS[1], now + ttl + 1, key)
  else
    local filed = redis.call('HGET', KEYS[2], key)
    if filed then
      local entry = cjson.decode(filed)
      for _, set in ipairs(entry[2]) do redis.call('ZREM', set, entry[1]) end
    end
    redis.call('HDEL', KEYS[2], key)
    redis.call('ZREM', KEYS[1], key)
    taken = taken + 1
  end
end
return { taken, #due == batch and 1 or 0 }
`);

/**
 * The newest ARGV[2] ids in any of the first ARGV[1] sets of KEYS and in none of the
 * others whose documents (at ARGV[3] .. id) are kept, newest first, and those documents,
 * read in one atomic step so that a page never shows a document that no longer fits its
 * keys. An entry whose document expired (prune has not taken it yet) is passed over. Each set is
 * walked from its newest end only as far as it takes to find ARGV[2] ids that are not
 * excluded: the cost grows with the page and with the excluded ids passed over, never
 * with the whole set. (The document keys are derived, not declared: this store runs on
 * one Redis, not a cluster.)
 */
const LIST = new LuaScript(`
local wanted_sets = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local chunk = limit + 16
local found, seen = {}, {}
for k = 1, wanted_sets do
  local taken, start = 0, 0
  while taken < limit do
    local page = redis.call('ZREVRANGE', KEYS[k], start, start + chunk - 1, 'WITHSCORES')
    if #page == 0 then break end
    for p = 1, #page, 2 do
      local id = page[p]
      if taken < limit and not seen[id] then
        local excluded = false
        for x = wanted_sets + 1, #KEYS do
          if redis.call('ZSCORE', KEYS[x], id) then excluded = true break end
        end
        seen[id] = true
        if not excluded and redis.call('EXISTS', ARGV[3] .. id) == 1 then
          taken = taken + 1
          found[#found + 1] = { id, tonumber(page[p + 1]) }
        end
      end
    end
    start = start + chunk
  end
end
table.sort(found, function (a, b) return a[2] > b[2] end)
local result = {}
for i = 1, math.min(limit, #found) do
  local body = redis.call('GET', ARGV[3] .. found[i][1])
  if body then result[#result + 1] = body end
end
return result
`);

/** How many expired documents one sweep step may take; bounds how long Redis is busy. */
const SWEEP_BATCH = 500;

/**
 * The shared {@link DocumentStore}: one JSON string per document. An update is
 * optimistic: change runs on what was read, and the result is written only if nothing
 * else wrote in between, otherwise change runs again on the newer document. So change
 * may run more than once and must not have side effects of its own.
 */
export class RedisDocumentStore extends DocumentStore {
  private readonly namespace: string;
  private readonly indexNamespace: string;
  private readonly sequence: string;
  private readonly expiry: string;
  private readonly filed: string;
  private readonly retentionMs: number;
  /** Whether this process has given documents written before retention their time to live. */
  private legacyExpired = false;
  /** Where a write of a request that may run again is recorded (request-writes.ts). */
  private readonly writesNamespace: string;

  constructor(
    private readonly redis: Redis,
    options: RedisDocumentStoreOptions,
  ) {
    super();
    this.namespace = `${options.keyPrefix}documents:`;
    this.indexNamespace = `${options.keyPrefix}document-index:`;
    this.sequence = `${options.keyPrefix}document-seq`;
    this.expiry = `${options.keyPrefix}document-expiry`;
    this.filed = `${options.keyPrefix}document-filed`;
    this.retentionMs = options.retentionMs;
    this.writesNamespace = `${options.keyPrefix}request-writes:`;
  }

  async insert<T extends { id: string }>(
    collection: string,
    document: T,
    index?: IndexKeys<T>,
  ): Promise<T> {
    const keys = [
      this.key(collection, document.id),
      ...this.retentionKeys(),
      ...this.indexKeys(collection, index ? index(document) : []),
    ];
    const record = this.record(`documents.insert:${collection}`);
    const args = [
      JSON.stringify(document),
      document.id,
      record?.key ?? '',
      record?.ttlMs ?? 0,
      this.retentionMs,
      Date.now(),
    ];
    const result = await INSERT.run(this.redis, keys, args);
    if (typeof result === 'string') return JSON.parse(result) as T;
    if (result !== 1) throw new Error(`Document ${collection}/${document.id} already exists`);
    return document;
  }

  async get<T>(collection: string, id: string): Promise<T | null> {
    const json = await this.redis.get(this.key(collection, id));
    return json === null ? null : (JSON.parse(json) as T);
  }

  async update<T extends { id: string }>(
    collection: string,
    id: string,
    change: (current: T | null) => T,
    index?: IndexKeys<T>,
  ): Promise<T> {
    const key = this.key(collection, id);
    const record = this.record(`documents.update:${collection}`);
    // Each failed round means another writer succeeded, so this ends once they stop.
    for (;;) {
      // The document and the record of an earlier run's update are read together: that
      // run wrote both at once, so a retry sees its result, not a document it cannot change.
      const [previous, earlier] = record
        ? await this.redis.mget(key, record.key)
        : [await this.redis.get(key), null];
      if (earlier) return JSON.parse(earlier) as T;
      const current = previous === null ? null : (JSON.parse(previous) as T);
      const updated = change(current);
      const json = JSON.stringify(updated);
      const before = index && current ? this.indexKeys(collection, index(current)) : [];
      const after = index ? this.indexKeys(collection, index(updated)) : [];
      const keys = [key, ...this.retentionKeys(), ...before, ...after];
      const args = [
        ...[previous ?? '', json, id, before.length],
        ...[record?.key ?? '', record?.ttlMs ?? 0, this.retentionMs, Date.now()],
      ];
      if ((await COMPARE_AND_SET.run(this.redis, keys, args)) === 1) {
        return updated;
      }
    }
  }

  async list<T>(collection: string, { anyOf, noneOf = [], limit }: IndexQuery): Promise<T[]> {
    const wanted = this.indexKeys(collection, anyOf);
    const keys = [...wanted, ...this.indexKeys(collection, noneOf)];
    const args = [wanted.length, limit, this.key(collection, '')];
    const bodies = (await LIST.run(this.redis, keys, args)) as string[] | null;
    return (bodies ?? []).map((json) => JSON.parse(json) as T);
  }

  async prune(): Promise<number> {
    if (!this.legacyExpired) {
      await this.expireLegacy();
      this.legacyExpired = true;
    }
    let taken = 0;
    for (;;) {
      const args = [Date.now(), SWEEP_BATCH, this.retentionMs];
      const [count, more] = (await SWEEP_STEP.run(this.redis, [this.expiry, this.filed], args)) as [
        number,
        number,
      ];
      taken += count;
      if (more === 0) return taken;
    }
  }

  /**
   * Documents, index sets and the counter stored before documents had a retention have
   * no time to live: they get the full retention from now, once per process. Their index
   * entries are passed over by listings once the documents are gone, and go with their sets.
   */
  private expireLegacy(): Promise<void> {
    const patterns = [`${this.namespace}*`, `${this.indexNamespace}*`, this.sequence];
    return expirePersistent(this.redis, patterns, this.retentionMs);
  }

  /** The keys that every write of an indexed document keeps expiring with it (see FILING). */
  private retentionKeys(): string[] {
    return [this.sequence, this.expiry, this.filed];
  }

  /** Where this write is recorded when it belongs to a request that may run again. */
  private record(kind: string): { key: string; ttlMs: number } | null {
    const writes = currentRequestWrites();
    return writes && { key: `${this.writesNamespace}${writes.next(kind)}`, ttlMs: writes.ttlMs };
  }

  /** The collection is encoded so that no collection and id pair can name another's key. */
  private key(collection: string, id: string): string {
    return `${this.namespace}${encodeURIComponent(collection)}:${id}`;
  }

  /** The sorted sets of these index keys, each once. */
  private indexKeys(collection: string, keys: readonly string[]): string[] {
    const prefix = `${this.indexNamespace}${encodeURIComponent(collection)}:`;
    return [...new Set(keys)].map((key) => `${prefix}${encodeURIComponent(key)}`);
  }
}
