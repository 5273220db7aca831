import { Body, Controller, Post } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { PublishRateLimited } from '../limits/publish-throttler.guard.js';
import { CreateMessageDto } from './dto/create-message.dto.js';
import type { Message } from './message.js';
import { MessagesService } from './messages.service.js';

@Controller('messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @PublishRateLimited()
  @Idempotent()
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateMessageDto): Promise<Message> {
    return this.messages.create(user, dto);
  }
}
