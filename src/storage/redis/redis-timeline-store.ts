import type { Redis } from 'ioredis';
import { formatCursor, parseCursor } from '../../cursor.js';
import { TimelineDraft, TimelineEvent, TimelineStore } from '../timeline-store.js';
import { LuaScript } from './lua-script.js';
import { channelsUnder } from './redis-channels.js';

/**
 * Appends to the workflow's list and publishes each event in the same script, so that
 * every instance sees a timeline in cursor order. An event's cursor is its position in
 * the list (RPUSH answers the new length). Published as `<workflowId>\n<cursor>\n<json>`
 * (read by decodeTimelineMessage, redis-channels.ts).
 */
const APPEND = new LuaScript(`
local ids = {}
for i = 3, #ARGV do
  local id = redis.call('RPUSH', KEYS[1], ARGV[i])
  redis.call('PUBLISH', ARGV[1], ARGV[2] .. '\\n' .. id .. '\\n' .. ARGV[i])
  ids[#ids + 1] = tostring(id)
end
return ids
`);

type Stored = Pick<TimelineEvent, 'type' | 'data'>;

/**
 * The shared {@link TimelineStore}: one Redis list per workflow. Append publishes every
 * event on the timelines channel under the key prefix, in the same script.
 */
export class RedisTimelineStore extends TimelineStore {
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: { keyPrefix: string },
  ) {
    super();
    this.channel = channelsUnder(options.keyPrefix).timelines;
  }

  async append(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]> {
    const stored = drafts.map((draft) => JSON.stringify({ type: draft.type, data: draft.data }));
    const ids = (await APPEND.run(
      this.redis,
      [this.key(workflowId)],
      [this.channel, workflowId, ...stored],
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

  private key(workflowId: string): string {
    return `${this.options.keyPrefix}timeline:${workflowId}`;
  }
}
