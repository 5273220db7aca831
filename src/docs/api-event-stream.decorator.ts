import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtension,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';

/** One kind of event a stream sends. */
export interface StreamEventDoc {
  /** The `event:` name, or a pattern such as `<type>` for notifications. */
  event: string;
  /** The class documenting its JSON `data:`. */
  model: Type;
  /** Whether it carries an `id:` line (only those move the client's Last-Event-ID). */
  hasId: boolean;
  description: string;
}

export interface EventStreamDoc {
  summary: string;
  description: string;
  events: StreamEventDoc[];
  /** Resumes after `Last-Event-ID` (header) or `?lastEventId=`. */
  resumable: boolean;
}

/**
 * OpenAPI has no notion of Server-Sent Events, so a stream is documented as a
 * `text/event-stream` response whose description lists its events, each with the schema
 * of its `data:` (registered as a model), and the same list as `x-sse-events` for tools.
 */
export function ApiEventStream(doc: EventStreamDoc) {
  const rows = doc.events.map(
    (e) =>
      `| \`${e.event}\` | ${e.hasId ? 'yes' : 'no'} | [${e.model.name}](#/components/schemas/${e.model.name}) | ${e.description} |`,
  );
  const description = [
    doc.description,
    '',
    'The answer is `200` `text/event-stream` (`Cache-Control: no-cache`, `X-Accel-Buffering: no`): ' +
      'first `retry: <RETRY_MS>`, then events of one line of JSON `data:` each, and a comment line (`:`) every `HEARTBEAT_MS`. ' +
      'Browsers: `new EventSource(url)` with a single-use `?ticket=` from `POST /notifications/tickets`, ' +
      'or the token as `?access_token=` or the `access_token` cookie.',
    '',
    '| event | id: | data | when |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  return applyDecorators(
    ApiOperation({ summary: doc.summary, description }),
    ApiProduces('text/event-stream'),
    ApiQuery({
      name: 'ticket',
      required: false,
      description:
        'A stream ticket (POST /notifications/tickets) instead of a token: one stream, once, within 60 s',
    }),
    ApiExtraModels(...doc.events.map((e) => e.model)),
    ApiExtension(
      'x-sse-events',
      doc.events.map((e) => ({
        event: e.event,
        hasId: e.hasId,
        data: { $ref: getSchemaPath(e.model) },
      })),
    ),
    ...(doc.resumable
      ? [
          // Lower-case, as the route reads it: the same parameter, made optional.
          ApiHeader({
            name: 'last-event-id',
            required: false,
            description: 'Resume after this cursor (browsers send it by themselves on reconnect)',
          }),
        ]
      : []),
    ApiOkResponse({
      description: 'An open event stream (see the table above)',
      content: {
        'text/event-stream': {
          schema: { type: 'string' },
          example:
            'retry: 3000\n\nevent: unread-count\ndata: {"count":1}\n\nid: 42\nevent: message.created\ndata: {"id":"42","type":"message.created",...}\n\n',
        },
      },
    }),
    ApiUnauthorizedResponse({ description: 'No valid token: no stream' }),
  );
}
