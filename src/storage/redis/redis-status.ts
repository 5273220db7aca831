import { Injectable } from '@nestjs/common';
import { StorageStatus } from '../storage-status.js';
import { withinDeadline } from '../../within-deadline.js';
import { RedisConnections } from './redis-connections.js';

/**
 * How long readiness waits for Redis's answer to PING: well under a second, and under
 * the command timeout, so that a load balancer learns of a stalled Redis at once.
 */
const PING_DEADLINE_MS = 500;

/** Ready while both connections are up and Redis answers a PING within {@link PING_DEADLINE_MS}. */
@Injectable()
export class RedisStatus extends StorageStatus {
  readonly backend = 'redis';

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async isReady(): Promise<boolean> {
    if (!this.redis.ready) return false;
    const pong = this.redis.commands.ping().then(
      (reply) => reply === 'PONG',
      () => false,
    );
    return withinDeadline(pong, PING_DEADLINE_MS, () => false);
  }
}
