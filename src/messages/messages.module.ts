import { Module } from '@nestjs/common';
import { DomainEventBus } from '../events/domain-event-bus.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';

@Module({ controllers: [MessagesController], providers: [MessagesService, DomainEventBus] })
export class MessagesModule {}
