import type { Redis } from 'ioredis';
import { formatCursor, parseCursor } from '../../cursor.js';
import { TimelineDraft, TimelineEvent, TimelineStore } from '../timeline-store.js';
import { currentRequestWrites } from '../request-writes.js';
import { expirePersistent } from './expire-persistent.js';
import { LuaScript } from './lua-script.js';
import { channelsUnder } from './redis-channels.js';

/**
 * Appends ARGV[6..] to the workflow's list and publishes each event in the same script, so
 * that every instance sees a timeline in cursor order. An event's cursor is its position
 * in the list (RPUSH answers the new length). Published as `<workflowId>\n<cursor>\n<json>`
 * (read by decodeTimelineMessage, redis-channels.ts). The list is kept ARGV[3] ms after
 * this, its latest append. ARGV[4] (unless '') records the append as a write of a request
 * that may run again, for ARGV[5] ms: when it already holds the cursors of an earlier
 * run's append, nothing is appended and those are returned (request-writes.ts).
 */
const APPEND = new LuaScript(`
if ARGV[4] ~= '' then
  local earlier = redis.call('GET', ARGV[4])
  if earlier then return cjson.decode(earlier) end
end
local ids = {}
for i = 6, #ARGV do
  local id = redis.call('RPUSH', KEYS[1], ARGV[i])
  redis.call('PUBLISH', ARGV[1], ARGV[2] .. '\\n' .. id .. '\\n' .. ARGV[i])
  ids[#ids + 1] = tostring(id)
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', ARGV[4], cjson.encode(ids), 'PX', ARGV[5]) end
return ids
`);

type Stored = Pick<TimelineEvent, 'type' | 'data'>;

export interface RedisTimelineStoreOptions {
  /** Shared with the service's other keys: timelines live under `<keyPrefix>timeline:`. */
  keyPrefix: string;
  /** How long a timeline is kept after its last append (RETENTION_DAYS). */
  retentionMs: number;
}

/**
 * The shared {@link TimelineStore}: one Redis list per workflow, expiring
 * {@link RedisTimelineStoreOptions.retentionMs} after its last append, so nothing sweeps
 * timelines. Append publishes every event on the timelines channel under the key prefix,
 * in the same script.
 */
export class RedisTimelineStore extends TimelineStore {
  private readonly channel: string;
  /** Where an append of a request that may run again is recorded (request-writes.ts). */
  private readonly writesNamespace: string;
  private legacyExpired = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisTimelineStoreOptions,
  ) {
    super();
    this.channel = channelsUnder(options.keyPrefix).timelines;
    this.writesNamespace = `${options.keyPrefix}request-writes:`;
  }

  async append(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]> {
    const stored = drafts.map((draft) => JSON.stringify({ type: draft.type, data: draft.data }));
    const writes = currentRequestWrites();
    const record = writes ? `${this.writesNamespace}${writes.next('timelines.append')}` : '';
    const ids = (await APPEND.run(
      this.redis,
      [this.key(workflowId)],
      [this.channel, workflowId, this.options.retentionMs, record, writes?.ttlMs ?? 0, ...stored],
    )) as string[];
    return drafts.map((draft, i) => ({ id: ids[i], type: draft.type, data: draft.data }));
  }

  async readAfter(
    workflowId: string,
    cursor: string | null,
    limit: number,
  ): Promise<TimelineEvent[]> {
    const after = cursor === null ? 0 : (parseCursor(cursor) ?? 0);
    const stored = await this.redis.lrange(this.key(workflowId), after, after + limit - 1);
    return stored.map((json, i) => {
      const { type, data } = JSON.parse(json) as Stored;
      return { id: formatCursor(after + i + 1), type, data };
    });
  }

  async latestCursor(workflowId: string): Promise<string | null> {
    const length = await this.redis.llen(this.key(workflowId));
    return length === 0 ? null : formatCursor(length);
  }

  /**
   * Timelines expire by themselves (a TTL refreshed by every append), so there is nothing
   * to delete; once per process, those appended before timelines had a retention get the
   * full retention from now.
   */
  async prune(): Promise<number> {
    if (!this.legacyExpired) {
      const pattern = `${this.options.keyPrefix}timeline:*`;
      await expirePersistent(this.redis, [pattern], this.options.retentionMs);
      this.legacyExpired = true;
    }
    return 0;
  }

  private key(workflowId: string): string {
    return `${this.options.keyPrefix}timeline:${workflowId}`;
  }
}
