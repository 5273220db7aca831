import type { OpenAPIObject } from '@nestjs/swagger';
import { sseEventSchemas, type EventStreamDoc, type JsonSchema } from './event-stream-doc.js';

const SCHEMA_PREFIX = '#/components/schemas/';

/** Where the AsyncAPI document is served, next to /docs and /docs-json. */
export const ASYNCAPI_PATH = '/docs/asyncapi.json';

const FRAMING = `Each channel is one HTTP GET answered \`200 text/event-stream\` (Server-Sent Events,
https://html.spec.whatwg.org/multipage/server-sent-events.html), held open: first \`retry: <RETRY_MS>\`,
then one event per message: \`event: <the message's name>\`, an \`id: <cursor>\` line only on messages
whose headers list \`id\`, and \`data: <the payload as one line of JSON>\`, each event ended by a blank line.
A comment line (\`:\`) comes every HEARTBEAT_MS. Authenticate as for the REST API: \`Authorization: Bearer <jwt>\`,
\`?access_token=\`, the \`access_token\` cookie, or a single-use \`?ticket=\` from \`POST /notifications/tickets\`.
Events with an \`id:\` move the client's Last-Event-ID; reconnecting with it resumes with no gap and no duplicate.`;

/**
 * The AsyncAPI 3 document of the streams, built from their {@link EventStreamDoc}s and
 * the OpenAPI document's own schema objects (the same objects, by reference), so that
 * the two documents cannot describe an event's payload differently.
 */
export function createAsyncApiDocument(
  openapi: OpenAPIObject,
  streams: readonly EventStreamDoc[],
): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const used = new Set<string>();
  for (const stream of streams) {
    const messages: Record<string, unknown> = {};
    for (const event of sseEventSchemas(stream, (model) => SCHEMA_PREFIX + model.name)) {
      const { title, description, properties } = event as {
        title: string;
        description: string;
        properties: { id?: JsonSchema; event: JsonSchema; data: { $ref: string } };
      };
      used.add(properties.data.$ref.slice(SCHEMA_PREFIX.length));
      const named = Array.isArray(properties.event.enum);
      messages[messageKey(named ? title : 'notification')] = {
        name: named ? title : 'notification',
        title: named ? title : `${title} (the event's name is the notification's type)`,
        summary: description,
        contentType: 'application/json',
        ...(properties.id
          ? {
              headers: {
                type: 'object',
                description: 'SSE fields other than data',
                required: ['id'],
                properties: { id: properties.id },
              },
            }
          : {}),
        payload: properties.data,
        'x-sse-event': properties.event,
        'x-sse-id': Boolean(properties.id),
      };
    }
    channels[stream.channel] = {
      address: stream.path,
      title: stream.summary,
      description: stream.description,
      ...(Object.keys(stream.parameters).length > 0
        ? {
            parameters: Object.fromEntries(
              Object.entries(stream.parameters).map(([name, description]) => [
                name,
                { description },
              ]),
            ),
          }
        : {}),
      messages,
    };
    operations[`send${stream.channel[0].toUpperCase()}${stream.channel.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${stream.channel}` },
      summary: stream.summary,
      bindings: {
        http: {
          method: 'GET',
          ...(stream.resumable
            ? {
                query: {
                  type: 'object',
                  properties: {
                    lastEventId: { type: 'string', description: 'Resume after this cursor' },
                    ticket: { type: 'string', description: 'A single-use stream ticket' },
                  },
                },
              }
            : {}),
          bindingVersion: '0.3.0',
        },
      },
      messages: Object.keys(messages).map((key) => ({
        $ref: `#/channels/${stream.channel}/messages/${key}`,
      })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: `${openapi.info.title}: event streams`,
      version: openapi.info.version,
      description: FRAMING,
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { schemas: referencedSchemas(openapi, used) },
  };
}

/** Message keys are identifiers: `unread-count` → `unreadCount`, `workflow.started` → `workflowStarted`. */
function messageKey(name: string): string {
  return name.replace(/[._-]+([a-z0-9])/gi, (_all, letter: string) => letter.toUpperCase());
}

/** The named schemas and every schema they reference, taken from the OpenAPI document as they are. */
function referencedSchemas(openapi: OpenAPIObject, roots: Set<string>): Record<string, unknown> {
  const all = (openapi.components?.schemas ?? {}) as Record<string, unknown>;
  const found: Record<string, unknown> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name in found || !(name in all)) continue;
    found[name] = all[name];
    const refs = JSON.stringify(all[name]).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g);
    for (const [, ref] of refs) pending.push(ref);
  }
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
}
