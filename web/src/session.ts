import { callApi } from './api.js';
import { msUntilExpiry, readClaims, type Transport } from '@notification-hub/client';

/** Who is signed in on this browser: every tab of it shares one session. */
export interface Session {
  token: string;
  userId: string;
  roles: string[];
  transport: Transport;
  /** Signed in through the development endpoint: the token can be renewed the same way. */
  dev: boolean;
}

const KEY = 'notification-hub-demo:session';
/**
 * A dev token this close to its expiry is replaced before use. Streams send
 * `token-expiring` 30 s before `exp`: by then the token must be due for renewal.
 */
const RENEW_BEFORE_MS = 35_000;

export function loadSession(): Session | null {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return stored && readClaims(stored.token) ? stored : null;
  } catch {
    return null;
  }
}

function saveSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

/** Calls `onChange` when another tab signs in or out (the `storage` event fires in the others). */
export function onSessionChange(onChange: () => void): void {
  window.addEventListener('storage', (event) => {
    if (event.key === KEY) onChange();
  });
}

/** Development: a token for any user, from POST /dev/token. */
export async function devSignIn(
  userId: string,
  roles: string[],
  transport: Transport,
): Promise<Session> {
  const { token } = await callApi<{ token: string }>('POST', '/dev/token', {
    body: { userId, roles },
  });
  const session: Session = { token, userId, roles, transport, dev: true };
  saveSession(session);
  return session;
}

/** Production: a token the user pasted, read (not verified: the service does that). */
export function tokenSignIn(token: string, transport: Transport): Session {
  const claims = readClaims(token.trim());
  if (!claims) throw new Error('That is not a token (a JWT with sub and exp)');
  if (msUntilExpiry(token) <= 0) throw new Error('That token has expired');
  const session: Session = {
    token: token.trim(),
    userId: claims.sub,
    roles: claims.roles,
    transport,
    dev: false,
  };
  saveSession(session);
  return session;
}

/**
 * The session's token, renewed first when it is a dev token about to expire, so that a
 * stream's `token-expiring` leads to a reconnection with a fresh one. A pasted token
 * cannot be renewed: it is returned as it is.
 */
export function tokenSource(session: Session): () => Promise<string> {
  let renewing: Promise<string> | null = null;
  return async () => {
    const current = loadSession() ?? session;
    if (!current.dev || msUntilExpiry(current.token) > RENEW_BEFORE_MS) return current.token;
    renewing ??= devSignIn(current.userId, current.roles, current.transport)
      .then((renewed) => renewed.token)
      .finally(() => (renewing = null));
    return renewing;
  };
}
