import type { Redis } from 'ioredis';
import { PreferenceStore } from '../preference-store.js';
import { LuaScript } from './lua-script.js';
import { channelsUnder, type RedisChannels, userChannel } from './redis-channels.js';

export interface RedisPreferenceStoreOptions {
  /**
   * Shared with the service's other keys: this store keeps its own under
   * `<keyPrefix>preferences:`, and publishes on the user's channel under it.
   */
  keyPrefix: string;
}

/**
 * KEYS: the user's muted set. ARGV: the user's channel, the user, then pairs of a
 * type and '1' (on: unmute) or '0' (off: mute). Applies the changes, publishes
 * `{"userId","muted"}` in the same atomic step (so every instance with a stream of the user hears the changes in
 * the order they were made) and returns the muted types, sorted.
 */
const SET_TYPES = new LuaScript(`
local key = KEYS[1]
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '1' then
    redis.call('SREM', key, ARGV[i])
  else
    redis.call('SADD', key, ARGV[i])
  end
end
local muted = redis.call('SMEMBERS', key)
table.sort(muted)
local encoded = {}
for i, type in ipairs(muted) do encoded[i] = cjson.encode(type) end
-- Built by hand: cjson writes an empty table as {} where the message needs [].
redis.call('PUBLISH', ARGV[1],
  '{"userId":' .. cjson.encode(ARGV[2]) .. ',"muted":[' .. table.concat(encoded, ',') .. ']}')
return muted
`);

/** The shared {@link PreferenceStore}: one set of muted types per user, `preferences:muted:<user>`. */
export class RedisPreferenceStore extends PreferenceStore {
  private readonly namespace: string;
  private readonly channels: RedisChannels;

  constructor(
    private readonly redis: Redis,
    options: RedisPreferenceStoreOptions,
  ) {
    super();
    this.namespace = `${options.keyPrefix}preferences:`;
    this.channels = channelsUnder(options.keyPrefix);
  }

  async mutedTypes(userId: string): Promise<string[]> {
    return (await this.redis.smembers(this.key(userId))).sort();
  }

  async setTypes(userId: string, changes: Readonly<Record<string, boolean>>): Promise<string[]> {
    const pairs = Object.entries(changes).flatMap(([type, on]) => [type, on ? '1' : '0']);
    const muted = (await SET_TYPES.run(
      this.redis,
      [this.key(userId)],
      [userChannel(this.channels, userId), userId, ...pairs],
    )) as string[];
    // Lua sorts by bytes; the answer is sorted as mutedTypes sorts it.
    return muted.sort();
  }

  private key(userId: string): string {
    return `${this.namespace}muted:${userId}`;
  }
}
