/**
 * Prints a token signed with the configured secret, for development:
 *   npm run -s token -- alice --roles admin,service --name Alice --ttl 3600
 * It runs from the built files (`npm run -s token` builds only when dist/ is missing), so
 * that minting a token neither takes seconds nor rewrites a running server's dist/.
 */
import jwt from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';

const USAGE = `usage: npm run -s token -- <user id> [--roles admin,service] [--name N] [--ttl seconds]

Prints a JWT for <user id>, signed with JWT_SECRET (or the development secret when it
is not set), valid for --ttl seconds (default 3600).
  --roles  comma-separated roles: admin may announce; admin and service may publish
  --name   the display name put in the token
  --ttl    lifetime in seconds, a whole number > 0`;

/** Stops with one line on stderr (no stack): a command-line mistake is not a crash. */
function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        roles: { type: 'string', default: '' },
        name: { type: 'string' },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

const { values, positionals } = parse();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [userId] = positionals;
const ttl = Number(values.ttl);
if (!userId) fail('A user id is required.');
if (!Number.isInteger(ttl) || ttl <= 0) fail(`--ttl must be a whole number of seconds > 0.`);

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration: ${error.message}`);
  process.exit(1);
}
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
