import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED } from './redact.js';

/**
 * Credentials in the objects pino logs: the Authorization header, cookies both
 * ways, and the query-string credentials should anything log a parsed query.
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
];

/**
 * The service's one pino logger: one JSON object per line, ISO timestamps (readable
 * without tooling), to stdout unless the caller passes a destination (tests do).
 * Plain JSON in development too: no pretty-printer to install or to get wrong.
 */
export function createRootLogger(destination?: DestinationStream): Logger {
  const options = {
    level: 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
  return destination ? pino(options, destination) : pino(options);
}
