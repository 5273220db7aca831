import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactUrl } from './redact.js';
import { runWithRequestId } from './request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's id is kept only if it is short and plain: it is echoed in a header and logged. */
const ACCEPTABLE_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * One access-log line per request (when its response finishes, or when the client
 * leaves a stream), every line of the request carrying `requestId`: the caller's
 * `X-Request-Id` when acceptable, else a new UUID, echoed in the response header.
 * The URL is logged with its secret query values redacted; the parsed query is
 * left out, since it repeats the URL.
 */
export function httpLogging(logger: Logger) {
  const log = pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    serializers: {
      req: (req: {
        id: unknown;
        method: string;
        url: string;
        headers: object;
        remoteAddress: string;
      }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
    },
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  });
  return (req: Request, res: Response, next: NextFunction) => {
    log(req, res);
    // A string: genReqId above made it.
    runWithRequestId(req.id as string, next);
  };
}
