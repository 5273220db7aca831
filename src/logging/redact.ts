/**
 * Secrets that must never reach a log line (CONTRACT.md, "Tokens"): a token or a
 * stream ticket given in the URL, and anything shaped like a JWT wherever it sits
 * in a URL or a message. Headers and cookies are redacted by pino's `redact` paths
 * (see logger.ts); these functions cover the free text that paths cannot reach.
 */
export const REDACTED = '[Redacted]';

/** Query parameters whose value is a credential: `?access_token=`, `?ticket=`. */
const SECRET_PARAMS = ['access_token', 'ticket'];

/** A JWT: three base64url parts, the first one starting with `{"` encoded (`eyJ`). */
const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

/**
 * The URL with every secret query value replaced. Parameter names are compared
 * decoded and by prefix, because Express's query parser would also honour
 * `access%5Ftoken=` or `access_token[0]=`.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query =
    queryAt < 0
      ? ''
      : '?' +
        url
          .slice(queryAt + 1)
          .split('&')
          .map(redactParam)
          .join('&');
  return (path + query).replace(JWT, REDACTED);
}

function redactParam(pair: string): string {
  const equals = pair.indexOf('=');
  if (equals < 0) return pair;
  const name = safeDecode(pair.slice(0, equals)).toLowerCase();
  return SECRET_PARAMS.some((secret) => name.startsWith(secret))
    ? `${pair.slice(0, equals)}=${REDACTED}`
    : pair;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Free text (a log message, a stack): secret query values and JWTs replaced. */
export function redactText(text: string): string {
  return text
    .replace(/((?:access(?:_|%5F)token|ticket)(?:%5B\w*%5D|\[\w*\])?=)[^&\s"']*/gi, `$1${REDACTED}`)
    .replace(JWT, REDACTED);
}
