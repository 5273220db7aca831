import type { Redis } from 'ioredis';
import { DocumentStore, type IndexKeys, type IndexQuery } from '../document-store.js';
import { currentRequestWrites } from '../request-writes.js';
import { LuaScript } from './lua-script.js';

export interface RedisDocumentStoreOptions {
  /**
   * Shared with the service's other keys: documents live under `<keyPrefix>documents:`,
   * index entries in the sorted sets `<keyPrefix>document-index:<collection>:<key>` (member
   * the id, score the document's place in the order, from the counter `<keyPrefix>document-seq`).
   */
  keyPrefix: string;
}

/**
 * Stores ARGV[1] at KEYS[1] unless a document is there; then, when index keys follow
 * (KEYS[3..]), files ARGV[2] (the id) under each with the next number of KEYS[2]. ARGV[3]
 * (unless '') records the insert as a write of a request that may run again, for ARGV[4]
 * ms: when it already holds the document of an earlier run, nothing is stored and that
 * document is returned (request-writes.ts).
 */
const INSERT = new LuaScript(`
if ARGV[3] ~= '' then
  local earlier = redis.call('GET', ARGV[3])
  if earlier then return earlier end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
if #KEYS > 2 then
  local seq = redis.call('INCR', KEYS[2])
  for i = 3, #KEYS do redis.call('ZADD', KEYS[i], seq, ARGV[2]) end
end
if ARGV[3] ~= '' then redis.call('SET', ARGV[3], ARGV[1], 'PX', ARGV[4]) end
return 1
`);

/**
 * Writes ARGV[2] if the document is still ARGV[1] ('' standing for missing: a stored
 * document is never empty), and records it at ARGV[5] (unless '') for ARGV[6] ms as the
 * update of a request that may run again (request-writes.ts). Compare-and-set instead of WATCH/MULTI/EXEC because WATCH
 * belongs to a connection, and this store's connection is shared by concurrent requests.
 * Then moves the id ARGV[3] out of the ARGV[4] index sets after KEYS[2] (the previous
 * document's) into the rest (the new one's), at the place it had or, if it had none,
 * the next number of KEYS[2].
 */
const COMPARE_AND_SET = new LuaScript(`
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[5] ~= '' then redis.call('SET', ARGV[5], ARGV[2], 'PX', ARGV[6]) end
local last_old = 2 + tonumber(ARGV[4])
local seq = false
for i = 3, last_old do
  seq = seq or redis.call('ZSCORE', KEYS[i], ARGV[3])
  redis.call('ZREM', KEYS[i], ARGV[3])
end
if #KEYS > last_old then
  seq = seq or redis.call('INCR', KEYS[2])
  for i = last_old + 1, #KEYS do redis.call('ZADD', KEYS[i], seq, ARGV[3]) end
end
return 1
`);

/**
 * The newest ARGV[2] ids in any of the first ARGV[1] sets of KEYS and in none of the
 * others, newest first, and their documents (from ARGV[3] .. id), read in one atomic
 * step so that a page never shows a document that no longer fits its keys. Each set is
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
        if not excluded then
          seen[id] = true
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
    this.writesNamespace = `${options.keyPrefix}request-writes:`;
  }

  async insert<T extends { id: string }>(
    collection: string,
    document: T,
    index?: IndexKeys<T>,
  ): Promise<T> {
    const keys = [
      this.key(collection, document.id),
      this.sequence,
      ...this.indexKeys(collection, index ? index(document) : []),
    ];
    const record = this.record(`documents.insert:${collection}`);
    const args = [JSON.stringify(document), document.id, record?.key ?? '', record?.ttlMs ?? 0];
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
      const keys = [key, this.sequence, ...before, ...after];
      const args = [previous ?? '', json, id, before.length, record?.key ?? '', record?.ttlMs ?? 0];
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
