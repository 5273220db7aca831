import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  Sse,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { PublishRateLimited } from '../limits/publish-throttler.guard.js';
import type { InboxPage } from '../storage/notification-store.js';
import { ListNotificationsQuery } from './dto/list-notifications.query.js';
import { InboxPageDto, PublishedNotificationsDto, UnreadCountDto } from './dto/notification.dto.js';
import { PublishNotificationDto } from './dto/publish-notification.dto.js';
import { InboxService } from './inbox.service.js';
import { ApiNotificationStream } from './notification-stream.docs.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { NotificationsService } from './notifications.service.js';
import type { Notification } from './notification.js';

@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(
    private readonly streams: NotificationStreamsService,
    private readonly notifications: NotificationsService,
    private readonly inbox: InboxService,
  ) {}

  /**
   * The caller's live notifications and the broadcasts (CONTRACT.md, "The notification
   * stream"), resumed after `Last-Event-ID` (header) or `?lastEventId=`.
   */
  @Sse('stream')
  @ApiNotificationStream()
  stream(
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) response: Response,
    @Headers('last-event-id') header?: string,
    @Query('lastEventId') query?: unknown,
  ): Observable<never> {
    const cursor = header || (typeof query === 'string' && query) || null;
    return this.streams.open(user, response, cursor);
  }

  /** Publishing by other services: one notification per recipient, or one broadcast. */
  @Post()
  @Roles('admin', 'service')
  @ApiCreatedResponse({ type: PublishedNotificationsDto })
  @PublishRateLimited()
  @Idempotent()
  async publish(
    @CurrentUser() user: AuthUser,
    @Body() dto: PublishNotificationDto,
  ): Promise<{ items: Notification[] }> {
    return { items: await this.notifications.publishRequest(user, dto) };
  }

  @Get()
  @ApiOkResponse({ type: InboxPageDto })
  list(@CurrentUser() user: AuthUser, @Query() query: ListNotificationsQuery): Promise<InboxPage> {
    return this.inbox.list(user, query);
  }

  @Get('unread-count')
  @ApiOkResponse({ type: UnreadCountDto })
  unreadCount(@CurrentUser() user: AuthUser): Promise<{ count: number }> {
    return this.inbox.unreadCount(user);
  }

  @Post('read-all')
  @HttpCode(204)
  @ApiNoContentResponse()
  markAllRead(@CurrentUser() user: AuthUser): Promise<void> {
    return this.inbox.markAllRead(user);
  }

  @Post(':id/read')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such notification for the caller' })
  markRead(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.inbox.markRead(user, id);
  }
}
