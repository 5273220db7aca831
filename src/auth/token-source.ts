import type { Request } from 'express';

/**
 * The token of a request, from the first place that has one, in the contract's
 * order: the Authorization header, the `access_token` query parameter (native
 * EventSource cannot send headers), the `access_token` cookie.
 */
export function tokenFrom(request: Request): string | null {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : null;
  }
  const query: unknown = request.query.access_token;
  if (typeof query === 'string' && query !== '') return query;
  const cookies = request.cookies as Record<string, unknown> | undefined;
  const cookie = cookies?.access_token;
  if (typeof cookie === 'string' && cookie !== '') return cookie;
  return null;
}
