import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Argument = string | number;

/**
 * A Lua script run by its SHA1, so that its text crosses the wire only when Redis does
 * not know it yet (first use, or after a restart emptied the script cache). Used instead
 * of ioredis's defineCommand, whose commands exist only as untyped properties.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly Argument[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // NOSCRIPT means nothing ran, so running the text instead cannot apply anything twice.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
