import { Module } from '@nestjs/common';
import { DomainEvents } from '../domain-events.js';
import { AnnouncementsController } from './announcements.controller.js';
import { AnnouncementsService } from './announcements.service.js';

@Module({ controllers: [AnnouncementsController], providers: [AnnouncementsService, DomainEvents] })
export class AnnouncementsModule {}
