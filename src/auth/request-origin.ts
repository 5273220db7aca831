import type { Request } from 'express';

/** Methods that change nothing (CONTRACT.md, "Tokens"); CORS keeps their answers from other sites. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a request authenticated by the `access_token` cookie may not do what it asks, or
 * null. A browser attaches the cookie to a form any site posts here (cross-site request
 * forgery), so every method but GET, HEAD and OPTIONS must come with an `Origin` (or,
 * lacking one, a `Referer`) that is the service's own origin or one of `allowedOrigins`.
 */
export function crossSiteRefusal(
  request: Request,
  allowedOrigins: ReadonlySet<string>,
): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const claimed = claimedOrigin(request);
  const rule = `a ${request.method} authenticated by the access_token cookie must come from this service's own origin or one of CORS_ORIGINS`;
  if (claimed === null)
    return `Refused: ${rule}, and this one has neither an Origin nor a Referer header`;
  if (claimed === ownOrigin(request) || allowedOrigins.has(claimed)) return null;
  return `Refused: ${rule}, not ${claimed.slice(0, 200)} (cross-site request forgery)`;
}

/** CORS_ORIGINS as browsers write an origin (lower-case host, no default port). */
export function normalizedOrigins(origins: readonly string[]): ReadonlySet<string> {
  return new Set(origins.map((origin) => originOf(origin) ?? origin));
}

/** The Origin header, or else the origin of the Referer; `null` (a sandboxed page) stays "null". */
function claimedOrigin(request: Request): string | null {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === 'null' ? 'null' : (originOf(origin) ?? origin);
  const referer = request.headers.referer;
  if (referer === undefined) return null;
  return originOf(referer) ?? referer;
}

/**
 * The origin a browser on this service's own pages sends: the scheme and the Host it
 * used. Behind a proxy those are in X-Forwarded-Proto and X-Forwarded-Host (first hop).
 * Trusting them opens nothing: a page on another site cannot make a browser send them
 * (they are not CORS-safelisted, so the preflight, refused for unlisted origins, comes
 * first), and a client that sends them itself holds no victim's cookie.
 */
function ownOrigin(request: Request): string | null {
  const forwardedProto = firstValue(request.headers['x-forwarded-proto'])?.toLowerCase();
  const scheme =
    forwardedProto === 'https' || forwardedProto === 'http'
      ? forwardedProto
      : 'encrypted' in request.socket && request.socket.encrypted
        ? 'https'
        : 'http';
  const host = firstValue(request.headers['x-forwarded-host']) ?? request.headers.host;
  return host ? originOf(`${scheme}://${host}`) : null;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(',')[0].trim();
  return first === '' ? undefined : first;
}

/** `scheme://host[:port]` of a URL, as the URL standard serializes it, or null. */
function originOf(url: string): string | null {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
