import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
  Sse,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
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
import {
  InboxPageDto,
  NotificationTypesDto,
  PublishedNotificationsDto,
  UnreadCountDto,
} from './dto/notification.dto.js';
import { PreferencesDto, UpdatePreferencesDto } from './dto/preferences.dto.js';
import { PublishNotificationDto } from './dto/publish-notification.dto.js';
import { InboxService } from './inbox.service.js';
import { NotificationTypes } from './notification-types.js';
import { ApiNotificationStream } from './notification-stream.docs.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { NotificationsService } from './notifications.service.js';
import { Preferences, PreferencesService } from './preferences.service.js';
import type { Notification } from './notification.js';

@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(
    private readonly streams: NotificationStreamsService,
    private readonly notifications: NotificationsService,
    private readonly inbox: InboxService,
    private readonly types: NotificationTypes,
    private readonly preferences: PreferencesService,
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

  @Get('types')
  @ApiOperation({
    summary: "Every notification type the service knows (the stream's `types` event)",
  })
  @ApiOkResponse({ type: NotificationTypesDto })
  listTypes(): { types: readonly string[] } {
    return { types: this.types.list() };
  }

  @Get('preferences')
  @ApiOkResponse({ type: PreferencesDto })
  getPreferences(@CurrentUser() user: AuthUser): Promise<Preferences> {
    return this.preferences.get(user);
  }

  @Put('preferences')
  @ApiOperation({ summary: 'Turn types on or off (merged); answers the whole preferences object' })
  @ApiOkResponse({ type: PreferencesDto })
  @ApiBadRequestResponse({
    description: 'Unknown field, bad type name, non-boolean, announcement off',
  })
  updatePreferences(
    @CurrentUser() user: AuthUser,
    @Body() dto: UpdatePreferencesDto,
  ): Promise<Preferences> {
    return this.preferences.update(user, dto);
  }

  @Post(':id/read')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such notification for the caller' })
  markRead(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.inbox.markRead(user, id);
  }

  @Post(':id/unread')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such notification for the caller' })
  markUnread(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.inbox.markUnread(user, id);
  }

  @Post(':id/archive')
  @HttpCode(204)
  @ApiOperation({ summary: 'Archive (and mark read): it leaves the default listing' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such notification for the caller' })
  archive(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.inbox.setArchived(user, id, true);
  }

  @Post(':id/unarchive')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such notification for the caller' })
  unarchive(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.inbox.setArchived(user, id, false);
  }
}
