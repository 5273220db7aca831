import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { StorageHealthIndicator } from './storage.health.js';

@Module({
  // A failed check is logged through Nest's logger, its details as one JSON line.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [StorageHealthIndicator],
})
export class HealthModule {}
