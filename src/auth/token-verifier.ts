import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import type { AuthUser } from './auth-user.js';

interface Claims {
  sub?: unknown;
  exp?: unknown;
  name?: unknown;
  roles?: unknown;
}

/**
 * Verifies a JWT against the configured key, algorithms, issuer and audience and
 * turns its claims into an {@link AuthUser}. Every failure is a 401 whose message
 * says what was wrong, never what the token was.
 */
@Injectable()
export class TokenVerifier {
  /** The key, algorithms, issuer and audience are those JwtModule was registered with. */
  constructor(private readonly jwt: JwtService) {}

  verify(token: string): AuthUser {
    let claims: Claims;
    try {
      claims = this.jwt.verify<Claims & object>(token);
    } catch (error) {
      throw new UnauthorizedException(describe(error));
    }
    return toUser(claims);
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
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new UnauthorizedException('Invalid token: sub (the user id) is required');
  }
  if (typeof claims.exp !== 'number') {
    throw new UnauthorizedException('Invalid token: exp is required');
  }
  const roles = claims.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    throw new UnauthorizedException('Invalid token: roles must be an array of strings');
  }
  return {
    id: claims.sub,
    name: typeof claims.name === 'string' ? claims.name : null,
    roles,
    expiresAt: new Date(claims.exp * 1000),
  };
}
