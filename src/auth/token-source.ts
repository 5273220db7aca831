import type { Request } from 'express';

/**
 * The token of a request, from the first place that has one, in the contract's
 * order: an `Authorization: Bearer` header, the `access_token` query parameter (native
 * EventSource cannot send headers), the `access_token` cookie. An Authorization
 * header of another scheme (Basic credentials added by a proxy, say) holds no token
 * for us, so the other places are still looked at.
 */
export function tokenFrom(request: Request): string | null {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (bearer) return bearer[1];
  const query: unknown = request.query.access_token;
  if (typeof query === 'string' && query !== '') return query;
  const cookies = request.cookies as Record<string, unknown> | undefined;
  const cookie = cookies?.access_token;
  if (typeof cookie === 'string' && cookie !== '') return cookie;
  return null;
}
