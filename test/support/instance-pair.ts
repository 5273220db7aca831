import { untilStatus } from './api.js';
import { Instance } from './instance.js';
import { RedisServer } from './redis.js';

/** Two built instances sharing one fresh redis-server (persistence off), both ready. */
export interface InstancePair {
  redis: RedisServer;
  a: Instance;
  b: Instance;
  /** Stops both instances, then destroys the Redis. */
  stop(): Promise<void>;
}

/**
 * Starts a redis-server and two instances on it with quick reconnects (`RETRY_MS` 200)
 * and heartbeats (`HEARTBEAT_MS` 300), and waits until both are ready.
 */
export async function startInstancePair(): Promise<InstancePair> {
  const redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url, RETRY_MS: '200', HEARTBEAT_MS: '300' };
  const [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
  for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 200, 15000);
  return {
    redis,
    a,
    b,
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
      await redis.destroy();
    },
  };
}
