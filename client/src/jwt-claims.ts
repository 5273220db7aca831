/** What a client reads from its own token: to show who is signed in and plan a refresh. */
export interface TokenClaims {
  sub: string;
  name: string | null;
  roles: string[];
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * The claims of a JWT, decoded without verifying it: the service verifies; the browser
 * only needs to know whose token it holds and when it expires. Null when malformed.
 */
export function readClaims(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return null;
    const roles = Array.isArray(claims.roles)
      ? claims.roles.filter((role): role is string => typeof role === 'string')
      : [];
    const name = typeof claims.name === 'string' ? claims.name : null;
    return { sub: claims.sub, name, roles, exp: claims.exp };
  } catch {
    return null;
  }
}

/** Milliseconds until the token expires (negative once it has); 0 when unreadable. */
export function msUntilExpiry(token: string, now = Date.now()): number {
  const claims = readClaims(token);
  return claims ? claims.exp * 1000 - now : 0;
}
