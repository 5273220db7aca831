import type { AuthUser } from '../auth/auth-user.js';

/**
 * What a stream ticket stands for: the user who minted it, with the minting token's
 * expiry, so the stream it opens ends when that token would have.
 */
export type TicketGrant = AuthUser;

/**
 * Where stream tickets wait for their single use (CONTRACT.md, "Tokens"). Tickets are
 * kept under a digest of their value, never the value itself, so that whoever can read
 * the store (a Redis dump, say) cannot use what is in it.
 *
 * Implementations (chosen by the storage module): InMemoryTicketStore (one instance,
 * src/storage/memory) and RedisTicketStore (any instance sharing the Redis, src/storage/redis).
 */
export abstract class TicketStore {
  /** Keeps `grant` under `key` for `ttlMs`; false when the key is already taken. */
  abstract save(key: string, grant: TicketGrant, ttlMs: number): Promise<boolean>;

  /**
   * Takes the grant kept under `key` and forgets it, atomically, so that of several
   * concurrent takers exactly one gets it. Null when unknown, taken or expired.
   */
  abstract take(key: string): Promise<TicketGrant | null>;
}

/** The JSON form of a grant, as stored by implementations that keep text. */
export function serializeGrant(grant: TicketGrant): string {
  return JSON.stringify({ ...grant, expiresAt: grant.expiresAt.toISOString() });
}

export function parseGrant(text: string): TicketGrant {
  const stored = JSON.parse(text) as Omit<TicketGrant, 'expiresAt'> & { expiresAt: string };
  return { ...stored, expiresAt: new Date(stored.expiresAt) };
}
