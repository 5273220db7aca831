import { Injectable } from '@nestjs/common';
import { StorageStatus } from '../storage-status.js';
import { RedisConnections } from './redis-connections.js';

/** Ready while both connections are up and Redis answers a PING. */
@Injectable()
export class RedisStatus extends StorageStatus {
  readonly backend = 'redis';

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async isReady(): Promise<boolean> {
    if (!this.redis.ready) return false;
    try {
      return (await this.redis.commands.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
}
