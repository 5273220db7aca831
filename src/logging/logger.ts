import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED, redactUrl } from './redact.js';

/**
 * Credentials in the objects pino logs: the Authorization header, cookies both
 * ways, the query-string credentials should anything log a parsed query, and those
 * in a Referer (a page opened with `?access_token=` sends its URL as the Referer).
 * Paths work on any line of this logger and of its children (the HTTP log).
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.query.access_token',
  'req.query.ticket',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  // URLs, which keep everything but their credentials (see censor).
  'req.headers.referer',
  'headers.referer',
];

/** A URL header loses only its credentials; anything else is replaced whole. */
function censor(value: unknown, path: string[]): unknown {
  return path[path.length - 1] === 'referer' && typeof value === 'string'
    ? redactUrl(value)
    : REDACTED;
}

/**
 * The service's one pino logger: one JSON object per line, ISO timestamps (readable
 * without tooling), to stdout unless the caller passes a destination (main.ts passes
 * pino-pretty at a terminal in development, see console-destination.ts; tests pass theirs).
 */
export function createRootLogger(destination?: DestinationStream): Logger {
  const options = {
    level: 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor },
  };
  return destination ? pino(options, destination) : pino(options);
}
