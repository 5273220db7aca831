import jwt, { type SignOptions } from 'jsonwebtoken';
import { createHmac } from 'node:crypto';
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

/**
 * An HS256 token whose claims are `claimsJson` exactly as written: `jwt.sign` goes through
 * JSON.stringify, which cannot write `1e400` (it writes `Infinity` as `null`).
 */
export function tokenWithRawClaims(claimsJson: string, secret = DEV_JWT_SECRET): string {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const unsigned = `${encode('{"alg":"HS256","typ":"JWT"}')}.${encode(claimsJson)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
