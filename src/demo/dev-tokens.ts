import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AppConfig } from '../config.js';
import type { DevTokenDto } from './dto/dev-token.dto.js';

export interface DevToken {
  token: string;
  expiresAt: string;
}

/** Default lifetime of a dev token, as `npm run token` gives. */
const DEFAULT_TTL_SECONDS = 3600;

/**
 * Signs tokens for anyone who asks, so that the demo page can sign in as any user.
 * Exists only in development with an HS256 secret (see DemoModule): in production, or
 * with a public key (whose private half the service does not have), it is not there.
 */
@Injectable()
export class DevTokens {
  constructor(private readonly config: AppConfig) {}

  /** True when this instance can and may mint tokens. */
  static available(config: AppConfig): boolean {
    return !config.production && config.jwt.secret !== null;
  }

  mint({ userId, roles = [], name, ttlSeconds = DEFAULT_TTL_SECONDS }: DevTokenDto): DevToken {
    const { secret, issuer, audience } = this.config.jwt;
    if (!DevTokens.available(this.config) || secret === null) {
      throw new Error('Dev tokens are for development with JWT_SECRET (or the dev secret) only');
    }
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const token = jwt.sign({ sub: userId, roles, exp, ...(name ? { name } : {}) }, secret, {
      algorithm: 'HS256',
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
    });
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }
}
