import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../../config.js';
import { MetricsService } from '../../metrics/metrics.service.js';

/** Every key and channel of this service starts with it, so one Redis can be shared. */
export const KEY_PREFIX = 'notification-hub:';

/** How long start-up waits for Redis before the instance starts without it. */
const STARTUP_WAIT_MS = 10_000;

/**
 * Commands sent to Redis and not yet answered, beyond which a new command fails at once
 * (its request answers 503, nothing stored) instead of waiting. With the command timeout
 * this bounds what a stalled Redis can hold: at most this many commands (and the
 * requests behind them), each for at most REDIS_COMMAND_TIMEOUT_MS. A healthy Redis
 * answers a burst of thousands of publishes long before this many pile up.
 */
export const MAX_COMMANDS_IN_FLIGHT = 5_000;

/** The message of a command refused by {@link MAX_COMMANDS_IN_FLIGHT}: it was never sent. */
export const TOO_MANY_COMMANDS_WAITING =
  'Too many Redis commands waiting; the command was not sent';

/** A Redis connection that refuses a command, unsent, while too many await their answer. */
class BoundedRedis extends Redis {
  override sendCommand(...[command, stream]: Parameters<Redis['sendCommand']>): unknown {
    if (this.commandQueue.length >= MAX_COMMANDS_IN_FLIGHT) {
      command.reject(new Error(TOO_MANY_COMMANDS_WAITING));
      return command.promise;
    }
    return super.sendCommand(command, stream);
  }
}

/**
 * The instance's two Redis connections: one for commands and one in subscriber mode
 * (a subscribed connection can run nothing else). Commands fail at once while Redis is
 * unreachable instead of queueing, fail after REDIS_COMMAND_TIMEOUT_MS when Redis does
 * not answer (a stall: `DEBUG SLEEP`, a long script, a swapping host), and fail at once
 * while {@link MAX_COMMANDS_IN_FLIGHT} await their answer, so that requests answer 503
 * rather than hang; both connections reconnect by themselves, and ioredis resubscribes.
 * Needs a single Redis (not Cluster): the store's scripts build their own key names.
 */
@Injectable()
export class RedisConnections implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private readonly logger = new Logger(RedisConnections.name);

  constructor(config: AppConfig, @Optional() metrics?: MetricsService) {
    const url = config.redisUrl;
    if (!url) throw new Error('RedisConnections needs REDIS_URL');
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A command cut off by a dropped connection may have run (an append, say): sent
      // again, it would run twice. It fails instead, and the request answers 503.
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    };
    // 0, not 1: ioredis rejects the commands cut off by a dropped connection only when a
    // reconnect attempt reaches maxRetriesPerRequest; with 1, a Redis back at the first
    // attempt (a quick restart) left them pending forever, and their requests hung.
    this.commands = new BoundedRedis(url, {
      ...options,
      maxRetriesPerRequest: 0,
      commandTimeout: config.redisCommandTimeoutMs,
    });
    // No command timeout here: a SUBSCRIBE that timed out during a stall would leave the
    // live feed without its subscription once Redis answers. A subscription waits for no
    // reply, so a stall only delays messages, which arrive when Redis wakes.
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    for (const [name, connection] of Object.entries({
      commands: this.commands,
      subscriber: this.subscriber,
    })) {
      connection.on('error', (error: Error) => {
        this.logger.error(`Redis (${name}): ${error.message}`);
        metrics?.storageError('connection');
      });
      connection.on('ready', () => this.logger.log(`Redis (${name}) ready`));
    }
  }

  /** True when commands can be sent and the subscription is up. */
  get ready(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Holds the start-up (and so the listening socket) until both connections are up, for
   * at most {@link STARTUP_WAIT_MS}. Commands do not queue, so a stream accepted before
   * the command connection is ready fails its first read and is ended; a client without
   * a cursor then misses what is published before it reconnects. Redis still down after
   * the wait: the instance starts anyway, not ready, and recovers when Redis comes.
   */
  async onApplicationBootstrap(): Promise<void> {
    const deadline = Date.now() + STARTUP_WAIT_MS;
    while (!this.ready && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!this.ready) {
      this.logger.warn(
        `Redis is not reachable after ${STARTUP_WAIT_MS / 1000} s: starting without it; ` +
          '/health/ready answers 503 and publishing fails until it is back',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.commands.quit(), this.subscriber.quit()]);
  }
}
