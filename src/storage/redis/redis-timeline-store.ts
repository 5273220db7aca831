import type { Redis } from 'ioredis';
import { formatCursor, parseCursor } from '../../cursor.js';
import { TimelineDraft, TimelineEvent, TimelineStore } from '../timeline-store.js';
import { LuaScript } from './lua-script.js';

/**
 * Appends to the workflow's list and publishes each event in the same script, so that
 * every instance sees a timeline in cursor order. An event's cursor is its position in
 * the list (RPUSH answers the new length). Published as `<workflowId>\n<cursor>\n<json>`.
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

/** Parses a message of the timeline channel. */
export function parseTimelineMessage(message: string): {
  workflowId: string;
  event: TimelineEvent;
} {
  const [workflowId, id, json] = splitTwice(message);
  const { type, data } = JSON.parse(json) as Stored;
  return { workflowId, event: { id, type, data } };
}

/** The shared {@link TimelineStore}: one Redis list per workflow. */
export class RedisTimelineStore extends TimelineStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: { keyPrefix: string; channel: string },
  ) {
    super();
  }

  async append(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]> {
    const stored = drafts.map((draft) => JSON.stringify({ type: draft.type, data: draft.data }));
    const ids = (await APPEND.run(
      this.redis,
      [this.key(workflowId)],
      [this.options.channel, workflowId, ...stored],
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

function splitTwice(message: string): [string, string, string] {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  return [message.slice(0, first), message.slice(first + 1, second), message.slice(second + 1)];
}
