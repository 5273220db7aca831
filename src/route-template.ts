import type { Request } from 'express';

/** What requests that matched no route are counted and named under. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route a request matched, as declared (`/notifications/:id/read`), never its raw
 * path: ids and tokens stay out of metric labels, whose number must stay bounded.
 * Requests served by middleware (the docs, the demo's files) or by no route at all
 * (a 404) share {@link UNMATCHED_ROUTE}. Express keeps `req.route` once matched.
 */
export function routeTemplate(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : UNMATCHED_ROUTE;
}
