import { applyDecorators } from '@nestjs/common';
import {
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ApiEventStream, type EventStreamDoc } from '../docs/api-event-stream.decorator.js';
import { NotificationDto, NotificationTypesDto, UnreadCountDto } from './dto/notification.dto.js';
import { PreferencesDto } from './dto/preferences.dto.js';
import { ResetEventDto, TokenExpiringEventDto } from './dto/stream-events.dto.js';
import { BUILT_IN_NOTIFICATION_TYPES, NOTIFICATION_TYPE_PATTERN } from './notification.js';

/** `GET /notifications/stream` (CONTRACT.md, "The notification stream"): OpenAPI and AsyncAPI. */
export const NOTIFICATION_STREAM_DOC: EventStreamDoc = {
  channel: 'notifications',
  path: '/notifications/stream',
  parameters: {},
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
      names: BUILT_IN_NOTIFICATION_TYPES,
      otherNames: { label: 'any other type', pattern: NOTIFICATION_TYPE_PATTERN.source },
      model: NotificationDto,
      hasId: true,
      description:
        'A notification; `id:` is its cursor, `event:` its type (any type published with POST /notifications too)',
    },
    {
      names: ['types'],
      model: NotificationTypesDto,
      hasId: false,
      description:
        'Every known type, sorted: at the start (after `reset`, before any notification), and again ' +
        'before the first notification of a type new to the service. Add a listener for each',
    },
    {
      names: ['preferences'],
      model: PreferencesDto,
      hasId: false,
      description:
        "The caller's whole preferences object, whenever they change (then `unread-count`)",
    },
    {
      names: ['unread-count'],
      model: UnreadCountDto,
      hasId: false,
      description: 'On open and whenever the unread count changes',
    },
    {
      names: ['reset'],
      model: ResetEventDto,
      hasId: false,
      description:
        'The resume cursor could not be honoured, or the store lost history: reload the inbox',
    },
    {
      names: ['token-expiring'],
      model: TokenExpiringEventDto,
      hasId: false,
      description: "30 s before the token's exp (at once if less is left); the stream ends at exp",
    },
  ],
  example:
    'retry: 3000\n\nevent: types\ndata: {"types":["announcement","message.created"]}\n\n' +
    'event: unread-count\ndata: {"count":0}\n\n' +
    'id: 42\nevent: message.created\ndata: {"id":"42","type":"message.created","recipient":"bob","actorId":"alice","title":"New message from alice","body":"Lunch?","data":{"messageId":"m1"},"createdAt":"2026-12-06T10:00:00.000Z"}\n\n' +
    'event: unread-count\ndata: {"count":1}\n\n',
};

/** The OpenAPI description of `GET /notifications/stream`. */
export const ApiNotificationStream = () =>
  applyDecorators(
    ApiEventStream(NOTIFICATION_STREAM_DOC),
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
