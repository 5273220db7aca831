import { applyDecorators } from '@nestjs/common';
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
import { sseEventSchemas, type EventStreamDoc } from './event-stream-doc.js';

export type { EventStreamDoc, StreamEventDoc } from './event-stream-doc.js';

/**
 * OpenAPI has no notion of Server-Sent Events, so a stream is documented as a
 * `text/event-stream` response whose schema is one object per event (`event`, `id`,
 * `data`, as OpenAPI 3.2's `itemSchema` has it), each `data` a reference to the
 * registered model; the same list is `x-sse-events` for tools, and a table in the
 * description for readers. The AsyncAPI document (asyncapi.ts) is built from the same
 * {@link EventStreamDoc}.
 */
export function ApiEventStream(doc: EventStreamDoc) {
  const rows = doc.events.map(
    (e) =>
      `| ${[...e.names, ...(e.otherNames ? [e.otherNames.label] : [])].map((n) => (n.includes(' ') ? n : `\`${n}\``)).join(', ')} | ${e.hasId ? 'yes' : 'no'} | [${e.model.name}](#/components/schemas/${e.model.name}) | ${e.description} |`,
  );
  const description = [
    doc.description,
    '',
    'The answer is `200` `text/event-stream` (`Cache-Control: no-cache`, `X-Accel-Buffering: no`): ' +
      'first `retry: <RETRY_MS>`, then events of one line of JSON `data:` each, and a comment line (`:`) every `HEARTBEAT_MS`. ' +
      'Browsers: `new EventSource(url)` with a single-use `?ticket=` from `POST /notifications/tickets`, ' +
      'or the token as `?access_token=` or the `access_token` cookie. ' +
      'The same events are described in the AsyncAPI document, `GET /docs/asyncapi.json`.',
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
        event: [...e.names, ...(e.otherNames ? [e.otherNames.label] : [])].join(', '),
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
      description: 'An open event stream: each item of the schema is one event (see the table)',
      content: {
        'text/event-stream': {
          schema: {
            description:
              'One Server-Sent Event: `event:` its name, `id:` when it has one, `data:` one line of JSON',
            anyOf: sseEventSchemas(doc, getSchemaPath),
          },
          example: doc.example,
        },
      },
    }),
    ApiUnauthorizedResponse({ description: 'No valid token: no stream' }),
  );
}
