import { Body, Controller, Post, Res, Sse } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { PublishNotificationDto } from './dto/publish-notification.dto.js';
import { draftsFor } from './notification-rules.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { NotificationsService } from './notifications.service.js';
import type { Notification } from './notification.js';
import { BROADCAST } from './notification.js';

@Controller('notifications')
export class NotificationsController {
  constructor(
    private readonly streams: NotificationStreamsService,
    private readonly notifications: NotificationsService,
  ) {}

  /** The caller's live notifications and the broadcasts (CONTRACT.md, "The notification stream"). */
  @Sse('stream')
  stream(
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) response: Response,
  ): Observable<never> {
    return this.streams.open(user, response);
  }

  /** Publishing by other services: one notification per recipient, or one broadcast. */
  @Post()
  @Roles('admin', 'service')
  async publish(
    @CurrentUser() user: AuthUser,
    @Body() dto: PublishNotificationDto,
  ): Promise<{ items: Notification[] }> {
    const recipients = dto.recipients === BROADCAST ? null : dto.recipients;
    const drafts = draftsFor({ id: user.id, name: user.name }, recipients, {
      type: dto.type,
      title: dto.title,
      body: dto.body ?? '',
      data: dto.data ?? {},
    });
    return { items: await this.notifications.publish(drafts) };
  }
}
