import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { StorageStatus } from '../storage/storage-status.js';

/**
 * Terminus indicator over the storage port: SQLite, or Redis when REDIS_URL is set
 * (store and subscription). Reports which backend it checked, up or down.
 */
@Injectable()
export class StorageHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly storage: StorageStatus,
  ) {}

  async check(key = 'storage') {
    const indicator = this.indicators.check(key);
    const backend = this.storage.backend;
    return (await this.storage.isReady())
      ? indicator.up({ backend })
      : indicator.down({ backend, message: `Storage backend ${backend} is unavailable` });
  }
}
