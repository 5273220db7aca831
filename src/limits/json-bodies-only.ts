import type { NextFunction, Request, Response } from 'express';
import { setLogReason } from '../logging/log-reason.js';

const UNSUPPORTED_MEDIA_TYPE = 415;

/**
 * Request bodies are JSON, and only JSON. Nest would otherwise also parse form-encoded
 * bodies, with a limit of its own and none of the JSON parser's checks (the 64 KiB limit,
 * the refusal of `__proto__` keys), so such a body could publish what its JSON twin may
 * not. An empty body (Content-Length: 0, or none) needs no type.
 */
export function jsonBodiesOnly() {
  return (request: Request, response: Response, next: NextFunction): void => {
    const length = request.headers['content-length'];
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      (length !== undefined && length !== '0');
    if (!hasBody || request.is('application/json')) {
      next();
      return;
    }
    const message = `Request bodies must be JSON (Content-Type: application/json), not ${
      request.headers['content-type'] ?? 'untyped'
    }`;
    // Answered here, not thrown: no exception filter sees it, so the reason is set here.
    setLogReason(response, message);
    response.status(UNSUPPORTED_MEDIA_TYPE).json({
      statusCode: UNSUPPORTED_MEDIA_TYPE,
      message,
      error: 'Unsupported Media Type',
    });
  };
}
