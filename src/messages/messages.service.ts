import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth-user.js';
import { DomainEventBus } from '../events/domain-event-bus.js';
import { DocumentStore } from '../storage/document-store.js';
import type { CreateMessageDto } from './dto/create-message.dto.js';
import type { Message } from './message.js';

@Injectable()
export class MessagesService {
  constructor(
    private readonly documents: DocumentStore,
    private readonly events: DomainEventBus,
  ) {}

  async create(author: AuthUser, dto: CreateMessageDto): Promise<Message> {
    const draft: Message = {
      id: randomUUID(),
      authorId: author.id,
      text: dto.text,
      to: dto.to ?? null,
      createdAt: new Date().toISOString(),
    };
    // A retried request gets the message its first run stored (storage/request-writes.ts).
    const message = await this.documents.insert('messages', draft);
    await this.events.emit('message.created', {
      actor: { id: author.id, name: author.name },
      messageId: message.id,
      text: message.text,
      to: message.to,
    });
    return message;
  }
}
