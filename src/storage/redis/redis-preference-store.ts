import type { Redis } from 'ioredis';
import { PreferenceStore } from '../preference-store.js';

export interface RedisPreferenceStoreOptions {
  /** Shared with the service's other keys: this store keeps its own under `<keyPrefix>preferences:`. */
  keyPrefix: string;
}

/** The shared {@link PreferenceStore}: one set of muted types per user, `preferences:muted:<user>`. */
export class RedisPreferenceStore extends PreferenceStore {
  private readonly namespace: string;

  constructor(
    private readonly redis: Redis,
    options: RedisPreferenceStoreOptions,
  ) {
    super();
    this.namespace = `${options.keyPrefix}preferences:`;
  }

  async mutedTypes(userId: string): Promise<string[]> {
    return (await this.redis.smembers(this.key(userId))).sort();
  }

  async setTypes(userId: string, changes: Readonly<Record<string, boolean>>): Promise<string[]> {
    const entries = Object.entries(changes);
    const mute = entries.filter(([, on]) => !on).map(([type]) => type);
    const unmute = entries.filter(([, on]) => on).map(([type]) => type);
    const key = this.key(userId);
    // MULTI/EXEC: the changes and the answer are one step, whatever runs in between.
    const transaction = this.redis.multi();
    if (mute.length > 0) transaction.sadd(key, ...mute);
    if (unmute.length > 0) transaction.srem(key, ...unmute);
    transaction.smembers(key);
    const results = await transaction.exec();
    if (!results) throw new Error('Redis aborted the preferences transaction');
    for (const [error] of results) if (error) throw error;
    return (results[results.length - 1][1] as string[]).sort();
  }

  private key(userId: string): string {
    return `${this.namespace}muted:${userId}`;
  }
}
