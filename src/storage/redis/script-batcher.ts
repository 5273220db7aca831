import type { Redis } from 'ioredis';
import { asError } from '../../as-error.js';
import { isNoScript, type LuaScript } from './lua-script.js';

type Argument = string | number;

interface Pending {
  script: LuaScript;
  keys: readonly string[];
  args: readonly Argument[];
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The Redis side of group commit: the script calls made while the event loop handles one
 * round of I/O (the concurrent publishes that reached their append) go to Redis as one
 * pipeline, one write and one round trip, instead of one write each. Redis runs them in
 * the order given, each atomic on its own, so cursors and what the scripts publish keep
 * that order. Each caller gets its own script's answer or error, only once Redis answered
 * it: nothing is acknowledged before its write ran. Every command still goes through the
 * connection's bounds (redis-connections.ts): in-flight limit and command timeout.
 */
export class ScriptBatcher {
  private pending: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;

  /** `onBatch(size)`: told the size of every batch sent (a metric). */
  constructor(
    private readonly redis: Redis,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  run(script: LuaScript, keys: readonly string[], args: readonly Argument[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ script, keys, args, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = null;
    const batch = this.pending;
    this.pending = [];
    this.onBatch(batch.length);
    if (batch.length === 1) {
      const [{ script, keys, args, resolve, reject }] = batch;
      script.run(this.redis, keys, args).then(resolve, reject);
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const { script, keys, args } of batch) script.queue(pipeline, keys, args);
    pipeline.exec().then(
      (results) =>
        batch.forEach(({ script, keys, args, resolve, reject }, i) => {
          const [error, result] = results?.[i] ?? [new Error('Redis gave no answer'), null];
          if (!error) resolve(result);
          // Not run (Redis lost its script cache): sent again with its text.
          else if (isNoScript(error)) script.run(this.redis, keys, args).then(resolve, reject);
          else reject(error);
        }),
      (error: unknown) => batch.forEach(({ reject }) => reject(asError(error))),
    );
  }
}
