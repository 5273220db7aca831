import type { NextFunction, Request, Response } from 'express';
import { routeTemplate } from '../route-template.js';
import type { MetricsService } from './metrics.service.js';

/**
 * Times every request into `notification_hub_http_request_duration_seconds` when its
 * response finishes. A stream is left out: its duration is how long a client stayed,
 * which the stream metrics and the close log line tell, and it would swamp the buckets.
 * A request whose client left before the response finished is not timed either.
 */
export function httpMetrics(metrics: MetricsService) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const startedAt = performance.now();
    response.once('finish', () => {
      const type = response.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/event-stream')) return;
      metrics.httpRequestSeconds.observe(
        {
          method: request.method,
          route: routeTemplate(request),
          status: String(response.statusCode),
        },
        (performance.now() - startedAt) / 1000,
      );
    });
    next();
  };
}
