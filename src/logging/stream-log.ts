import type { Logger } from '@nestjs/common';
import type { CloseReason } from '../streaming/sse-connection.js';
import { currentRequestId } from './request-context.js';

/**
 * Logs a stream's opening now and returns what logs its end: one line each, as
 * JSON fields, with the opening request's id on both (the end comes long after
 * the request, outside its context), how long the stream lasted, the bytes it wrote
 * (before any gzip) and why it ended.
 */
export function logStreamOpened(
  logger: Logger,
  stream: { kind: string; userId: string; resumed: boolean },
): (reason: CloseReason, bytesSent: number) => void {
  const openedAt = Date.now();
  const requestId = currentRequestId();
  logger.log({ msg: 'stream opened', event: 'stream.opened', requestId, ...stream });
  return (reason, bytesSent) =>
    logger.log({
      msg: 'stream closed',
      event: 'stream.closed',
      requestId,
      kind: stream.kind,
      userId: stream.userId,
      reason,
      durationMs: Date.now() - openedAt,
      bytesSent,
    });
}
