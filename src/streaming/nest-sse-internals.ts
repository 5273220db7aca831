import { SSE_METADATA } from '@nestjs/common/constants.js';
import type { Reflector } from '@nestjs/core';
import type { EventEmitter } from 'node:events';

/*
 * Every use of a Nest internal that the streams rely on, in one place. Nest documents no
 * API for either; nest-sse-internals.spec.ts fails when an upgrade changes them.
 */

/**
 * Whether a route handler is an `@Sse` route. `@Sse` marks its handler with this
 * metadata key, which `@nestjs/common` exports only from its constants module.
 */
export function isSseRoute(reflector: Reflector, handler: object): boolean {
  return reflector.get<boolean | undefined>(SSE_METADATA, handler as () => unknown) === true;
}

/** What the streams need of Nest's `SseStream`: it writes the SSE headers once. */
export interface NestSseStream {
  commitHeaders(): void;
}

/**
 * Catches the `SseStream` that Nest pipes into an `@Sse` route's response (Node's
 * standard `pipe` event on the destination names the source), so that its headers can
 * be committed at once instead of on Nest's next timer tick or first message. `take`
 * stops listening and gives the stream, or null when Nest has not piped one.
 */
export function catchNestSseStream(response: EventEmitter): { take(): NestSseStream | null } {
  let caught: NestSseStream | null = null;
  const capture = (source: NestSseStream) => {
    caught = source;
  };
  response.once('pipe', capture);
  return {
    take: () => {
      response.off('pipe', capture);
      return caught;
    },
  };
}
