import type { NextFunction, Request, Response } from 'express';

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
    response.status(UNSUPPORTED_MEDIA_TYPE).json({
      statusCode: UNSUPPORTED_MEDIA_TYPE,
      message: `Request bodies must be JSON (Content-Type: application/json), not ${
        request.headers['content-type'] ?? 'untyped'
      }`,
      error: 'Unsupported Media Type',
    });
  };
}
