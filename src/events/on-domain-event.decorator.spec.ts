import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EVENT_LISTENER_METADATA, EventEmitterModule } from '@nestjs/event-emitter';
import type { MessageCreated } from './domain-event-map.js';
import { DomainEventBus } from './domain-event-bus.js';
import { OnDomainEvent } from './on-domain-event.decorator.js';

const EVENT: MessageCreated = {
  actor: { id: 'alice', name: 'Alice' },
  messageId: 'm1',
  text: 'hello',
  to: ['bob'],
};

@Injectable()
class Listener {
  readonly received: MessageCreated[] = [];
  failWith: Error | null = null;

  @OnDomainEvent('message.created')
  onMessage(event: MessageCreated): string {
    if (this.failWith) throw this.failWith;
    this.received.push(event);
    return `seen ${event.messageId}`;
  }

  @OnDomainEvent('message.created', { async: true })
  withOptions(): void {}
}

@Module({
  imports: [EventEmitterModule.forRoot()],
  providers: [Listener, DomainEventBus],
})
class ListenerModule {}

describe('OnDomainEvent', () => {
  let context: INestApplicationContext | null = null;
  afterEach(async () => {
    await context?.close();
    context = null;
  });

  async function start() {
    context = await NestFactory.createApplicationContext(ListenerModule, { logger: false });
    await context.init();
    return { listener: context.get(Listener), bus: context.get(DomainEventBus) };
  }

  it('subscribes the method to the event and hands it the payload', async () => {
    const { listener, bus } = await start();
    const replies = await bus.emit('message.created', EVENT);
    expect(listener.received).toEqual([EVENT]);
    expect(replies).toContain('seen m1');
  });

  it('does not suppress errors: a failing handler fails the emit', async () => {
    const { listener, bus } = await start();
    listener.failWith = new Error('store down');
    await expect(bus.emit('message.created', EVENT)).rejects.toThrow('store down');
  });

  it("passes @OnEvent's options through, errors still not suppressed unless asked", () => {
    const metadata = (method: (...args: never[]) => unknown) =>
      Reflect.getMetadata(EVENT_LISTENER_METADATA, method) as unknown;
    expect(metadata(Listener.prototype.onMessage)).toEqual([
      { event: 'message.created', options: { suppressErrors: false } },
    ]);
    expect(metadata(Listener.prototype.withOptions)).toEqual([
      { event: 'message.created', options: { suppressErrors: false, async: true } },
    ]);
  });
});
