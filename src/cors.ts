import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface.js';
import { REQUEST_ID_HEADER } from './logging/http-logging.js';

/**
 * CORS for browsers on other origins (CORS_ORIGINS): a listed origin is echoed in
 * Access-Control-Allow-Origin with Access-Control-Allow-Credentials, which an
 * `EventSource` opened `withCredentials` (cookie) and a `fetch` with credentials
 * both need; `*` would not do with credentials. Any other origin gets no CORS header
 * at all, so the browser refuses it, preflight included. Requests without an
 * Origin (same origin, curl, other services) are not concerned.
 */
export function corsOptions(allowedOrigins: readonly string[]): CorsOptions {
  const allowed = new Set(allowedOrigins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    // Headers a browser client may read: its request id and the rate limit's answers.
    exposedHeaders: [
      REQUEST_ID_HEADER,
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
    // Preflights are cached by the browser for 10 minutes.
    maxAge: 600,
  };
}
