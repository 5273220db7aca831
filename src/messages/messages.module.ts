import { Module } from '@nestjs/common';
import { DomainEvents } from '../domain-events.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';

@Module({ controllers: [MessagesController], providers: [MessagesService, DomainEvents] })
export class MessagesModule {}
