import type { Redis } from 'ioredis';
import { DocumentStore } from '../document-store.js';
import { LuaScript } from './lua-script.js';

export interface RedisDocumentStoreOptions {
  /** Shared with the service's other keys: documents live under `<keyPrefix>documents:`. */
  keyPrefix: string;
}

/**
 * Writes ARGV[2] if the document is still ARGV[1] ('' standing for missing: a stored
 * document is never empty). Compare-and-set instead of WATCH/MULTI/EXEC because WATCH
 * belongs to a connection, and this store's connection is shared by concurrent requests.
 */
const COMPARE_AND_SET = new LuaScript(`
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

/**
 * The shared {@link DocumentStore}: one JSON string per document. An update is
 * optimistic: change runs on what was read, and the result is written only if nothing
 * else wrote in between, otherwise change runs again on the newer document. So change
 * may run more than once and must not have side effects of its own.
 */
export class RedisDocumentStore extends DocumentStore {
  private readonly namespace: string;

  constructor(
    private readonly redis: Redis,
    options: RedisDocumentStoreOptions,
  ) {
    super();
    this.namespace = `${options.keyPrefix}documents:`;
  }

  async insert<T extends { id: string }>(collection: string, document: T): Promise<void> {
    const key = this.key(collection, document.id);
    if ((await this.redis.set(key, JSON.stringify(document), 'NX')) === null) {
      throw new Error(`Document ${collection}/${document.id} already exists`);
    }
  }

  async get<T>(collection: string, id: string): Promise<T | null> {
    const json = await this.redis.get(this.key(collection, id));
    return json === null ? null : (JSON.parse(json) as T);
  }

  async update<T extends { id: string }>(
    collection: string,
    id: string,
    change: (current: T | null) => T,
  ): Promise<T> {
    const key = this.key(collection, id);
    // Each failed round means another writer succeeded, so this ends once they stop.
    for (;;) {
      const previous = await this.redis.get(key);
      const updated = change(previous === null ? null : (JSON.parse(previous) as T));
      const json = JSON.stringify(updated);
      if ((await COMPARE_AND_SET.run(this.redis, [key], [previous ?? '', json])) === 1) {
        return updated;
      }
    }
  }

  /** The collection is encoded so that no collection and id pair can name another's key. */
  private key(collection: string, id: string): string {
    return `${this.namespace}${encodeURIComponent(collection)}:${id}`;
  }
}
