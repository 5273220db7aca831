import { OnEvent, type OnEventOptions } from '@nestjs/event-emitter';
import type { DomainEventMap, DomainEventName } from './domain-event-map.js';

/** A method that can handle event `K`: it accepts that event's payload. */
export type DomainEventHandler<K extends DomainEventName> = (event: DomainEventMap[K]) => unknown;

/**
 * Subscribes a method to one domain event, as Nest's `@OnEvent` does, but typed from
 * {@link DomainEventMap}: a name that is not in the map, or a method whose parameter
 * does not accept that event's payload, fails to compile.
 *
 * Errors are not suppressed by default (`suppressErrors: false`): a listener that fails
 * fails the request that emitted, through `DomainEventBus.emit`, instead of losing
 * a notification. `options` are `@OnEvent`'s and override that default.
 */
export function OnDomainEvent<K extends DomainEventName>(name: K, options: OnEventOptions = {}) {
  const subscribe = OnEvent(name, { suppressErrors: false, ...options });
  return <H extends DomainEventHandler<K>>(
    target: object,
    method: string | symbol,
    descriptor: TypedPropertyDescriptor<H>,
  ): void => {
    subscribe(target, method, descriptor);
  };
}
