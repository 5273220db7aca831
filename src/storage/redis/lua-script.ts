import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

type Argument = string | number;

/** NOSCRIPT means nothing ran, so running the text instead cannot apply anything twice. */
export const isNoScript = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('NOSCRIPT');

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
      if (!isNoScript(error)) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** Queues a run by SHA1 on `pipeline`; a NOSCRIPT answer is for the caller to run again with {@link run}. */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly Argument[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }
}
