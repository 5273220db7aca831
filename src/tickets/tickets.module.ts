import { Global, Module } from '@nestjs/common';
import { StreamTickets } from './stream-tickets.service.js';
import { TicketsController } from './tickets.controller.js';

/**
 * Stream tickets: minted here, redeemed by the JWT guard on stream routes (hence global).
 * The {@link TicketStore} comes from the storage module: in Redis when REDIS_URL is set,
 * so that any instance honours them, else in memory.
 */
@Global()
@Module({
  controllers: [TicketsController],
  providers: [StreamTickets],
  exports: [StreamTickets],
})
export class TicketsModule {}
