import { Body, Controller, Post } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { PublishRateLimited } from '../limits/publish-throttler.guard.js';
import { AnnouncementsService } from './announcements.service.js';
import { CreateAnnouncementDto } from './dto/create-announcement.dto.js';

@Controller('announcements')
export class AnnouncementsController {
  constructor(private readonly announcements: AnnouncementsService) {}

  /** Broadcast to everyone but the author; answers with the announcement's notification. */
  @Post()
  @Roles('admin')
  @PublishRateLimited()
  @Idempotent()
  publish(@CurrentUser() user: AuthUser, @Body() dto: CreateAnnouncementDto): Promise<unknown> {
    return this.announcements.publish(user, dto);
  }
}
