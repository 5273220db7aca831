import { Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { AuthUser } from '../auth/auth-user.js';
import { TicketStore } from './ticket-store.js';

/** How long a stream ticket may wait for its single use (CONTRACT.md, "Tokens"). */
export const TICKET_TTL_MS = 60_000;

export interface MintedTicket {
  ticket: string;
  /** Seconds left to use it: 60, or less when the minting token expires sooner. */
  expiresIn: number;
}

/**
 * Stream tickets keep long-lived tokens out of URLs: a native EventSource cannot send
 * an Authorization header, so it opens its stream with `?ticket=` instead, a value that
 * is worth one stream, once, within a minute.
 */
@Injectable()
export class StreamTickets {
  constructor(private readonly store: TicketStore) {}

  /** A ticket for `user`, who proved themselves with a token that is still valid. */
  async mint(user: AuthUser, now = Date.now()): Promise<MintedTicket> {
    // Never longer than the minting token lives: the ticket stands for that token.
    const ttlMs = Math.min(TICKET_TTL_MS, user.expiresAt.getTime() - now);
    if (ttlMs <= 0) throw new UnauthorizedException('Token expired');
    for (;;) {
      // 256 random bits: guessing one is hopeless, so a collision can only be a fluke.
      const ticket = randomBytes(32).toString('base64url');
      if (await this.store.save(digest(ticket), user, ttlMs)) {
        return { ticket, expiresIn: Math.ceil(ttlMs / 1000) };
      }
    }
  }

  /** The user a ticket stands for; it cannot be used again. 401 when unknown, used or expired. */
  async redeem(ticket: string, now = Date.now()): Promise<AuthUser> {
    const grant = await this.store.take(digest(ticket));
    if (!grant) {
      throw new UnauthorizedException(
        'Invalid ticket: unknown, already used or expired (a ticket opens one stream, once, within 60 s)',
      );
    }
    if (grant.expiresAt.getTime() <= now) throw new UnauthorizedException('Token expired');
    return grant;
  }
}

/** Tickets are stored under their SHA-256, never as themselves. */
function digest(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}
