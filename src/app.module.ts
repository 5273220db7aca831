import { DynamicModule, Global, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AnnouncementsModule } from './announcements/announcements.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig } from './config.js';
import { DemoModule } from './demo/demo.module.js';
import { HealthModule } from './health/health.module.js';
import { LimitsModule } from './limits/limits.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { PresenceModule } from './presence/presence.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TicketsModule } from './tickets/tickets.module.js';
import { TimelinesModule } from './timelines/timelines.module.js';
import { WorkflowsModule } from './workflows/workflows.module.js';

/** Makes the one validated configuration injectable everywhere. */
@Global()
@Module({})
class ConfigModule {
  static with(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.with(config),
        EventEmitterModule.forRoot(),
        StorageModule.forRoot(config),
        TicketsModule,
        AuthModule,
        LimitsModule,
        NotificationsModule,
        MessagesModule,
        WorkflowsModule,
        TimelinesModule,
        AnnouncementsModule,
        MetricsModule,
        HealthModule,
        PresenceModule,
        DemoModule.forRoot(config),
      ],
    };
  }
}
