import type { Redis } from 'ioredis';
import {
  parseGrant,
  serializeGrant,
  TicketStore,
  type TicketGrant,
} from '../../tickets/ticket-store.js';
import { LuaScript } from './lua-script.js';

/**
 * GET and DEL in one step: of two instances redeeming the same ticket at once, one gets
 * it. A script rather than GETDEL, which needs Redis 6.2 (the service supports 6.0).
 */
const TAKE = new LuaScript(`
local grant = redis.call('GET', KEYS[1])
if grant then redis.call('DEL', KEYS[1]) end
return grant
`);

/**
 * Stream tickets in Redis, so that a ticket minted on one instance opens a stream on any
 * instance, once. Redis expires them by itself (PX).
 */
export class RedisTicketStore extends TicketStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    super();
  }

  async save(key: string, grant: TicketGrant, ttlMs: number): Promise<boolean> {
    const saved = await this.redis.set(
      this.keyOf(key),
      serializeGrant(grant),
      'PX',
      Math.max(1, Math.round(ttlMs)),
      'NX',
    );
    return saved === 'OK';
  }

  async take(key: string): Promise<TicketGrant | null> {
    const grant = await TAKE.run(this.redis, [this.keyOf(key)], []);
    return typeof grant === 'string' ? parseGrant(grant) : null;
  }

  private keyOf(key: string): string {
    return `${this.keyPrefix}ticket:${key}`;
  }
}
