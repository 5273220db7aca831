import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';

/** Gives each of KEYS that has no time to live ARGV[1] ms. */
const EXPIRE_IF_PERSISTENT = new LuaScript(`
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
`);

/**
 * Gives every key matching one of `patterns` that has no time to live `ttlMs`: for keys
 * written before their kind had a retention, which would otherwise be kept forever. One
 * SCAN of the keyspace per pattern, in batches, so Redis is never busy for long.
 */
export async function expirePersistent(
  redis: Redis,
  patterns: readonly string[],
  ttlMs: number,
): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await EXPIRE_IF_PERSISTENT.run(redis, keys, [ttlMs]);
      cursor = next;
    } while (cursor !== '0');
  }
}
