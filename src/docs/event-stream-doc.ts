import type { Type } from '@nestjs/common';

/**
 * What a stream sends, declared once per stream (in its *.docs.ts) and read by both the
 * OpenAPI decorator and the AsyncAPI document, so that the two cannot disagree.
 */
export interface StreamEventDoc {
  /** The `event:` names this entry covers, each sent with the same `data:` model. */
  names: readonly string[];
  /** Also any other `event:` name of this shape (notification types other services invent). */
  otherNames?: { label: string; pattern: string };
  /** The class documenting its JSON `data:` (its schema is registered by @nestjs/swagger). */
  model: Type;
  /** Whether it carries an `id:` line (only those move the client's Last-Event-ID). */
  hasId: boolean;
  description: string;
}

export interface EventStreamDoc {
  /** The AsyncAPI channel's key. */
  channel: string;
  /** The route, as OpenAPI and AsyncAPI write it: `/workflows/{id}/stream`. */
  path: string;
  /** The path parameters, by name, with their description. */
  parameters: Readonly<Record<string, string>>;
  summary: string;
  description: string;
  events: readonly StreamEventDoc[];
  /** Resumes after `Last-Event-ID` (header) or `?lastEventId=`. */
  resumable: boolean;
  /** A few events as they arrive on the wire. */
  example: string;
}

/** A JSON Schema object, as both documents hold them (OpenAPI 3.1 and AsyncAPI 3 agree). */
export type JsonSchema = Record<string, unknown>;

/**
 * One schema per `event:` name a stream can send: `{event, id?, data}`. Pure, so that
 * the OpenAPI response and the AsyncAPI messages are built from the same objects.
 */
export function sseEventSchemas(doc: EventStreamDoc, refOf: (model: Type) => string): JsonSchema[] {
  return doc.events.flatMap((entry) => {
    const named = entry.names.map((name) =>
      sseEventSchema(entry, { type: 'string', enum: [name] }, refOf, name),
    );
    const other = entry.otherNames
      ? [
          sseEventSchema(
            entry,
            {
              type: 'string',
              pattern: entry.otherNames.pattern,
              description: `The notification's type (${entry.otherNames.label})`,
            },
            refOf,
            entry.otherNames.label,
          ),
        ]
      : [];
    return [...named, ...other];
  });
}

function sseEventSchema(
  entry: StreamEventDoc,
  event: JsonSchema,
  refOf: (model: Type) => string,
  title: string,
): JsonSchema {
  return {
    title,
    description: entry.description,
    type: 'object',
    required: entry.hasId ? ['id', 'event', 'data'] : ['event', 'data'],
    additionalProperties: false,
    properties: {
      ...(entry.hasId
        ? { id: { type: 'string', description: 'The `id:` line: the cursor to resume after' } }
        : {}),
      event: event,
      data: { $ref: refOf(entry.model) },
    },
  };
}
