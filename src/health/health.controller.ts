import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '../auth/decorators.js';
import { StorageStatus } from '../storage/storage-status.js';

@Controller('health')
export class HealthController {
  constructor(private readonly storage: StorageStatus) {}

  /** Liveness: the process answers. Needs no token. */
  @Get()
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 503 while the storage backend (SQLite, or Redis when configured) is down. */
  @Get('ready')
  @Public()
  async ready(): Promise<{ status: 'ok'; backend: string }> {
    if (!(await this.storage.isReady())) {
      throw new ServiceUnavailableException(
        `Storage backend ${this.storage.backend} is unavailable`,
      );
    }
    return { status: 'ok', backend: this.storage.backend };
  }
}
