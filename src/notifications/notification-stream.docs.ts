import { applyDecorators } from '@nestjs/common';
import {
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ApiEventStream } from '../docs/api-event-stream.decorator.js';
import { NotificationDto, NotificationTypesDto, UnreadCountDto } from './dto/notification.dto.js';
import { PreferencesDto } from './dto/preferences.dto.js';
import { ResetEventDto, TokenExpiringEventDto } from './dto/stream-events.dto.js';

/** The OpenAPI description of `GET /notifications/stream` (CONTRACT.md, "The notification stream"). */
export const ApiNotificationStream = () =>
  applyDecorators(
    ApiEventStream({
      summary: "The caller's live notifications (Server-Sent Events)",
      description:
        'Every notification addressed to the caller and every broadcast, live, never the ones the caller caused ' +
        'nor those of the types the caller turned off (GET/PUT /notifications/preferences). ' +
        'With `Last-Event-ID` (header) or `?lastEventId=`, first replays in order everything after that cursor ' +
        'still kept (RETENTION_DAYS), then goes live: no gap, no duplicate. A cursor too old, unknown or ' +
        'malformed gets `reset` first. Several streams of one user each get everything.',
      resumable: true,
      events: [
        {
          event:
            '<type>, e.g. message.created, workflow.started, workflow.approved, workflow.rejected, workflow.cancelled, announcement',
          model: NotificationDto,
          hasId: true,
          description: 'A notification; `id:` is its cursor, `event:` its type',
        },
        {
          event: 'types',
          model: NotificationTypesDto,
          hasId: false,
          description:
            'Every known type, sorted: at the start (after `reset`, before any notification), and again ' +
            'before the first notification of a type new to the service. Add a listener for each',
        },
        {
          event: 'preferences',
          model: PreferencesDto,
          hasId: false,
          description:
            "The caller's whole preferences object, whenever they change (then `unread-count`)",
        },
        {
          event: 'unread-count',
          model: UnreadCountDto,
          hasId: false,
          description: 'On open and whenever the unread count changes',
        },
        {
          event: 'reset',
          model: ResetEventDto,
          hasId: false,
          description: 'The resume cursor could not be honoured: reload the inbox',
        },
        {
          event: 'token-expiring',
          model: TokenExpiringEventDto,
          hasId: false,
          description: "30 s before the token's exp; the stream ends at exp",
        },
      ],
    }),
    ApiQuery({
      name: 'lastEventId',
      required: false,
      type: String,
      description: 'Resume after this cursor, for clients that cannot send Last-Event-ID',
    }),
    ApiTooManyRequestsResponse({
      description: 'The user already holds MAX_STREAMS_PER_USER streams',
    }),
    ApiServiceUnavailableResponse({ description: 'This instance holds MAX_STREAMS streams' }),
  );
