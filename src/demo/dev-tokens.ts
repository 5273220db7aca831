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
 * Exists only in development on the built-in dev secret (see DemoModule). Not in
 * production, not with a public key (whose private half the service does not have),
 * and not with a JWT_SECRET of one's own: that secret is an identity provider's, and
 * an instance that merely forgot NODE_ENV=production would hand out admin tokens
 * signed with it to anyone.
 */
@Injectable()
export class DevTokens {
  constructor(private readonly config: AppConfig) {}

  /** True when this instance can and may mint tokens. */
  static available(config: AppConfig): boolean {
    return !config.production && config.jwt.usingDevSecret;
  }

  mint({ userId, roles = [], name, ttlSeconds = DEFAULT_TTL_SECONDS }: DevTokenDto): DevToken {
    const { secret, issuer, audience } = this.config.jwt;
    if (!DevTokens.available(this.config) || secret === null) {
      throw new Error('Dev tokens are for development on the dev secret only');
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
