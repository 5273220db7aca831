import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth-user.js';
import { DomainEventBus } from '../events/domain-event-bus.js';
import { DocumentStore } from '../storage/document-store.js';
import type { CreateAnnouncementDto } from './dto/create-announcement.dto.js';

export interface Announcement {
  id: string;
  authorId: string;
  title: string;
  body: string;
  createdAt: string;
}

@Injectable()
export class AnnouncementsService {
  constructor(
    private readonly documents: DocumentStore,
    private readonly events: DomainEventBus,
  ) {}

  /**
   * Stores the announcement and announces it. Resolves with what the listeners of
   * `announcement.published` made of it (the notification, for the response), or
   * with the announcement itself when nothing listens.
   */
  async publish(author: AuthUser, dto: CreateAnnouncementDto): Promise<unknown> {
    const draft: Announcement = {
      id: randomUUID(),
      authorId: author.id,
      title: dto.title,
      body: dto.body,
      createdAt: new Date().toISOString(),
    };
    const announcement = await this.documents.insert('announcements', draft);
    const replies = await this.events.emit('announcement.published', {
      actor: { id: author.id, name: author.name },
      announcementId: announcement.id,
      title: announcement.title,
      body: announcement.body,
    });
    return replies.flat().find((reply) => reply !== undefined) ?? announcement;
  }
}
