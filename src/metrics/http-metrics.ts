import type { NextFunction, Request, Response } from 'express';
import { routeTemplate } from '../route-template.js';
import type { MetricsService } from './metrics.service.js';

/** When a request started (performance.now()), kept on its response: no closure per request. */
const STARTED_AT = Symbol('metricsStartedAt');
type TimedResponse = Response & { [STARTED_AT]: number };

/**
 * Times every request into `notification_hub_http_request_duration_seconds` when its
 * response finishes. A stream is left out: its duration is how long a client stayed,
 * which the stream metrics and the close log line tell, and it would swamp the buckets.
 * A request whose client left before the response finished is not timed either.
 *
 * The listener is one function for all requests, with the start kept on the response:
 * a `once` listener per request is a closure, its context and a bound wrapper that an
 * idle stream would hold for its whole life (issue 16).
 */
export function httpMetrics(metrics: MetricsService) {
  // A listener, so `this` is the response.
  function observe(this: TimedResponse): void {
    this.off('finish', observe);
    const type = this.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/event-stream')) return;
    metrics.httpRequestSeconds.observe(
      {
        method: this.req.method,
        route: routeTemplate(this.req),
        status: String(this.statusCode),
      },
      (performance.now() - this[STARTED_AT]) / 1000,
    );
  }

  return (_request: Request, response: Response, next: NextFunction): void => {
    (response as TimedResponse)[STARTED_AT] = performance.now();
    response.on('finish', observe);
    next();
  };
}
