import type { Request } from 'express';

/** Where a request's token was found. */
export type TokenPlace = 'header' | 'query' | 'cookie';

export interface FoundToken {
  token: string;
  /** A browser sends a cookie with any site's request, so `cookie` needs its origin checked. */
  place: TokenPlace;
}

/**
 * The token of a request, from the first place that has one, in the contract's
 * order: an `Authorization: Bearer` header, the `access_token` query parameter (native
 * EventSource cannot send headers), the `access_token` cookie. An Authorization
 * header of another scheme (Basic credentials added by a proxy, say) holds no token
 * for us, so the other places are still looked at.
 */
export function tokenFrom(request: Request): FoundToken | null {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (bearer) return { token: bearer[1], place: 'header' };
  const query: unknown = request.query.access_token;
  if (typeof query === 'string' && query !== '') return { token: query, place: 'query' };
  const cookies = request.cookies as Record<string, unknown> | undefined;
  const cookie = cookies?.access_token;
  if (typeof cookie === 'string' && cookie !== '') return { token: cookie, place: 'cookie' };
  return null;
}
