import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/decorators.js';
import { StorageHealthIndicator } from './storage.health.js';

/** Probes for orchestrators and load balancers; they hold no token. */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly storage: StorageHealthIndicator,
  ) {}

  /** Liveness: the process answers. Checks nothing else, so a backend outage never restarts it. */
  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process answers' })
  live() {
    return this.health.check([]);
  }

  /**
   * Readiness: 503 while the storage backend (SQLite, or Redis when configured) is down,
   * and while the instance shuts down, so that traffic goes elsewhere.
   */
  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: 503 while the storage backend (SQLite, or Redis) is down',
  })
  ready() {
    return this.health.check([() => this.storage.check()]);
  }
}
