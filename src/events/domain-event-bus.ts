import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DomainEventMap, DomainEventName } from './domain-event-map.js';

/**
 * The typed face of the EventEmitter2 bus for domain modules: they emit through it
 * (never EventEmitter2 itself), and listeners subscribe with `@OnDomainEvent`. `emit`
 * waits for every listener, so a listener that fails (a store that cannot write) fails
 * the request that emitted, instead of dropping a notification silently.
 */
@Injectable()
export class DomainEventBus {
  constructor(private readonly bus: EventEmitter2) {}

  /** Resolves with what each listener returned, in listener order. */
  async emit<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<unknown[]> {
    return (await this.bus.emitAsync(name, payload)) as unknown[];
  }
}
