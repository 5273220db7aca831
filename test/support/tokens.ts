import jwt, { type SignOptions } from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '../../src/config.js';

export interface TokenOptions {
  roles?: string[];
  name?: string;
  /** Seconds until exp; negative for an expired token. */
  ttl?: number;
  secret?: string;
  sign?: SignOptions;
}

/** A token as an identity provider would issue it, signed with the dev secret by default. */
export function token(userId: string, options: TokenOptions = {}): string {
  const { roles = [], name, ttl = 3600, secret = DEV_JWT_SECRET, sign = {} } = options;
  const exp = Math.floor(Date.now() / 1000) + ttl;
  return jwt.sign({ sub: userId, roles, exp, ...(name ? { name } : {}) }, secret, {
    algorithm: 'HS256',
    ...sign,
  });
}

export const bearer = (jwtToken: string) => ({ Authorization: `Bearer ${jwtToken}` });
