import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config.js';
import { KEY_PREFIX, RedisConnections } from '../storage/redis/redis-connections.js';
import { InMemoryTicketStore } from './in-memory-ticket-store.js';
import { RedisTicketStore } from './redis-ticket-store.js';
import { StreamTickets } from './stream-tickets.service.js';
import { TicketsController } from './tickets.controller.js';
import { TicketStore } from './ticket-store.js';

const inMemory: Provider = { provide: TicketStore, useFactory: () => new InMemoryTicketStore() };

const redis: Provider = {
  provide: TicketStore,
  inject: [RedisConnections],
  useFactory: ({ commands }: RedisConnections) => new RedisTicketStore(commands, KEY_PREFIX),
};

/**
 * Stream tickets: minted here, redeemed by the JWT guard on stream routes (hence global).
 * Kept in Redis when REDIS_URL is set, so that any instance honours them, else in memory.
 */
@Global()
@Module({})
export class TicketsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: TicketsModule,
      controllers: [TicketsController],
      providers: [config.redisUrl ? redis : inMemory, StreamTickets],
      exports: [StreamTickets],
    };
  }
}
