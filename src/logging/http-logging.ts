import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Level, Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { routeTemplate } from '../route-template.js';
import { logReasonOf } from './log-reason.js';
import { redactUrl } from './redact.js';
import { runWithRequestId } from './request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's id is kept only if it is short and plain: it is echoed in a header and logged. */
const ACCEPTABLE_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * Routes whose successful requests are logged at debug, not info: a presence move comes
 * several times a second from every pointer on a shared document, and would bury the rest.
 */
const QUIET_ROUTES = new Set(['POST /documents/:id/presence']);

function level(request: Request, response: Response, error: Error | undefined): Level {
  const status = response.statusCode;
  if (error || status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return QUIET_ROUTES.has(`${request.method} ${routeTemplate(request)}`) ? 'debug' : 'info';
}

/**
 * What one request line says, and nothing more: no headers (they made each line up to
 * 1,500 characters, and carried credentials to redact). The URL keeps its path and query
 * with secret values redacted; the user is the authenticated caller, when there is one;
 * the reason is what the client was told, on every refused request.
 */
function requestFields(request: Request, response: Response, responseTime: number) {
  return {
    req: { method: request.method, url: redactUrl(request.originalUrl ?? request.url) },
    res: { statusCode: response.statusCode },
    responseTime,
    userId: (request as { user?: { id?: string } }).user?.id,
    reason: response.statusCode >= 400 ? logReasonOf(response) : undefined,
  };
}

/**
 * One access-log line per request (when its response finishes, or when the client
 * leaves a stream; `responseTime` in ms), every line of the request carrying
 * `requestId`: the caller's `X-Request-Id` when acceptable, else a new UUID, echoed in
 * the response header.
 */
export function httpLogging(logger: Logger) {
  const log = pinoHttp<Request, Response>({
    logger,
    // Both: only `requestId` is bound to the request's logger; the line's fields follow.
    quietReqLogger: true,
    quietResLogger: true,
    wrapSerializers: false,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel: level,
    customSuccessObject: (req, res, fields: { responseTime: number }) =>
      requestFields(req, res, fields.responseTime),
    customErrorObject: (req, res, err, fields: { responseTime: number }) => ({
      ...requestFields(req, res, fields.responseTime),
      err,
    }),
  });
  return (req: Request, res: Response, next: NextFunction) => {
    log(req, res);
    // A string: genReqId above made it.
    runWithRequestId(req.id as string, next);
  };
}
