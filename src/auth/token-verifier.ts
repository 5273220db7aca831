import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import { BROADCAST } from '../notifications/notification.js';
import { isWellFormed } from '../unicode.js';
import type { AuthUser } from './auth-user.js';

interface Claims {
  sub?: unknown;
  exp?: unknown;
  nbf?: unknown;
  name?: unknown;
  roles?: unknown;
}

/**
 * The latest `exp` or `nbf` accepted, from now. Beyond it lie numbers no Date can hold
 * (8640000000001, or 1e400 parsed as Infinity): a stream's expiry timer would then throw.
 */
export const MAX_CLAIM_SECONDS_AHEAD = Math.round(100 * 365.25 * 24 * 3600);

/** Verified tokens remembered (least recently used forgotten first): a few hundred KB at most. */
export const VERIFIED_TOKENS_KEPT = 1000;

/**
 * Verifies a JWT against the configured key, algorithms, issuer and audience and
 * turns its claims into an {@link AuthUser}. Every failure is a 401 whose message
 * says what was wrong, never what the token was.
 */
@Injectable()
export class TokenVerifier {
  /**
   * Tokens that passed every check, with the user they gave, until their `exp`: a service
   * publishing with one token had its signature checked on every request, a few percent
   * of a publish's CPU (issue 16). Nothing else can make a verified token fail later:
   * the key, algorithms, issuer and audience are fixed at start-up, and an `nbf` that
   * passed stays passed. Only successes are kept, so every refusal is computed as before.
   */
  private readonly verified = new Map<string, { user: AuthUser; exp: number }>();

  /** The key, algorithms, issuer and audience are those JwtModule was registered with. */
  constructor(private readonly jwt: JwtService) {}

  verify(token: string): AuthUser {
    const known = this.verified.get(token);
    if (known !== undefined) {
      this.verified.delete(token);
      // jsonwebtoken's own test: expired once the whole seconds now reach `exp`; an
      // expired token is verified again, to be refused exactly as before.
      if (Math.floor(Date.now() / 1000) < known.exp) {
        this.verified.set(token, known);
        return known.user;
      }
    }
    const fresh = this.verifyAfresh(token);
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, fresh);
    return fresh.user;
  }

  private verifyAfresh(token: string): { user: AuthUser; exp: number } {
    let claims: Claims;
    try {
      claims = this.jwt.verify<Claims & object>(token);
    } catch (error) {
      throw new UnauthorizedException(describe(error));
    }
    return { user: toUser(claims), exp: claims.exp as number };
  }
}

function describe(error: unknown): string {
  if (error instanceof TokenExpiredError) return 'Token expired';
  const message = error instanceof Error ? error.message : String(error);
  // jsonwebtoken's messages name the problem ("jwt malformed", "invalid algorithm",
  // "jwt issuer invalid. expected: x") and never echo the token itself.
  return `Invalid token: ${message.replace(/^jwt /, '')}`;
}

function toUser(claims: Claims): AuthUser {
  const { sub, exp, nbf, name } = claims;
  if (typeof sub !== 'string' || sub === '') {
    throw new UnauthorizedException('Invalid token: sub (the user id) is required');
  }
  // Two subs that differ only in a lone surrogate would share one inbox once encoded.
  if (!isWellFormed(sub)) {
    throw new UnauthorizedException(
      'Invalid token: sub must be valid Unicode (no lone surrogates)',
    );
  }
  if (sub === BROADCAST) {
    throw new UnauthorizedException(
      `Invalid token: sub must not be "${BROADCAST}" (it means everyone)`,
    );
  }
  if (exp === undefined) throw new UnauthorizedException('Invalid token: exp is required');
  if (!isTimeInReach(exp)) {
    throw new UnauthorizedException(
      'Invalid token: exp must be a finite number of seconds within the next 100 years',
    );
  }
  // jsonwebtoken has checked that an nbf is a number and not in the future; -Infinity passes that.
  if (nbf !== undefined && !isTimeInReach(nbf)) {
    throw new UnauthorizedException(
      'Invalid token: nbf must be a finite number of seconds within the next 100 years',
    );
  }
  // The name goes into notification titles, which must come back as they were stored.
  if (typeof name === 'string' && !isWellFormed(name)) {
    throw new UnauthorizedException(
      'Invalid token: name must be valid Unicode (no lone surrogates)',
    );
  }
  const roles = claims.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    throw new UnauthorizedException('Invalid token: roles must be an array of strings');
  }
  return {
    id: sub,
    name: typeof name === 'string' ? name : null,
    roles,
    expiresAt: new Date(exp * 1000),
  };
}

/** A NumericDate (seconds) that is finite and at most {@link MAX_CLAIM_SECONDS_AHEAD} away. */
function isTimeInReach(seconds: unknown): seconds is number {
  return (
    typeof seconds === 'number' &&
    Number.isFinite(seconds) &&
    seconds <= Date.now() / 1000 + MAX_CLAIM_SECONDS_AHEAD
  );
}
