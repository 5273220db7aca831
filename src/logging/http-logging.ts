import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Level, Logger } from 'pino';
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

/** What the access line needs of a request, kept on its response: no closure per request. */
const STARTED_AT = Symbol('startedAt');
const REQUEST_ID = Symbol('requestId');
type LoggedResponse = Response & { [STARTED_AT]: number; [REQUEST_ID]: string };

/**
 * One access-log line per request (when its response finishes, or when the client
 * leaves a stream; `responseTime` in ms), every line of the request carrying
 * `requestId`: the caller's `X-Request-Id` when acceptable, else a new UUID, echoed in
 * the response header.
 *
 * Written here rather than with pino-http (whose line it keeps: fields, levels and
 * messages): pino-http makes two child loggers and three listener closures per request,
 * which a stream keeps for its whole life; at 10,000 idle streams that was about a fifth
 * of their memory (issue 16). Here a request holds two fields on its response, and the
 * listeners are one shared function.
 */
export function httpLogging(logger: Logger) {
  // A listener, so `this` is the response.
  function logLine(this: LoggedResponse, error?: Error): void {
    writeLine(this, error);
  }

  function writeLine(response: LoggedResponse, error?: Error): void {
    response.off('close', logLine);
    response.off('finish', logLine);
    response.off('error', logLine);
    const request = response.req;
    const failure =
      error ??
      (response.statusCode >= 500
        ? new Error(`failed with status code ${response.statusCode}`)
        : undefined);
    const fields = {
      requestId: response[REQUEST_ID],
      ...requestFields(request, response, Date.now() - response[STARTED_AT]),
    };
    const lineLevel = level(request, response, error);
    if (failure) {
      logger[lineLevel]({ ...fields, err: failure }, 'request errored');
      return;
    }
    const ended = !request.readableAborted && response.writableEnded;
    logger[lineLevel](fields, ended ? 'request completed' : 'request aborted');
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, id);
    const logged = res as LoggedResponse;
    logged[STARTED_AT] = Date.now();
    logged[REQUEST_ID] = id;
    res.on('close', logLine);
    res.on('finish', logLine);
    res.on('error', logLine);
    runWithRequestId(id, next);
  };
}
