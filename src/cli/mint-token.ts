/**
 * Prints a token signed with the configured secret, for development:
 *   npm run -s token -- alice --roles admin,service --name Alice --ttl 3600
 */
import jwt from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    roles: { type: 'string', default: '' },
    name: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
  },
});

const [userId] = positionals;
const ttl = Number(values.ttl);
if (!userId || !Number.isInteger(ttl) || ttl <= 0) {
  console.error(
    'usage: npm run -s token -- <user id> [--roles admin,service] [--name N] [--ttl seconds]',
  );
  process.exit(2);
}

const config = loadConfig(process.env);
const { secret, publicKey, issuer, audience } = config.jwt;
if (publicKey || !secret) {
  console.error('JWT_PUBLIC_KEY is set: sign tokens with the matching private key instead');
  process.exit(2);
}
const roles = values.roles
  .split(',')
  .map((role) => role.trim())
  .filter(Boolean);
const token = jwt.sign(
  { sub: userId, roles, ...(values.name ? { name: values.name } : {}) },
  secret,
  {
    algorithm: 'HS256',
    expiresIn: ttl,
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
  },
);
console.log(token);
