import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The service's configuration: read from the environment once, validated, frozen.
 * Services inject {@link AppConfig} and never read `process.env` themselves.
 * Variables and defaults are those of CONTRACT.md, "Start-up and configuration".
 */
export class AppConfig {
  readonly port!: number;
  readonly host!: string;
  readonly production!: boolean;
  readonly jwt!: JwtSettings;
  readonly heartbeatMs!: number;
  readonly retryMs!: number;
  readonly dataDir!: string;
  readonly redisUrl!: string | null;
  readonly workers!: number;
  readonly maxStreamsPerUser!: number;
  readonly maxStreams!: number;
  /** Publish requests (POST) one user may make per {@link publishRateTtlMs}; 429 beyond. */
  readonly publishRateLimit!: number;
  /** The same budget for a token with the `service` role: machine publishers are not people. */
  readonly servicePublishRateLimit!: number;
  readonly publishRateTtlMs!: number;
  readonly maxBufferedBytes!: number;
  readonly retentionDays!: number;
  /**
   * How long notifications, documents and timelines are kept after they were last touched:
   * RETENTION_DAYS, or TEST_RETENTION_MS where a test needs data to age in seconds (test-only:
   * not an operator setting).
   */
  readonly retentionMs!: number;
  readonly compression!: boolean;
  readonly corsOrigins!: readonly string[];
  readonly metricsToken!: string | null;
  /**
   * With Redis: how long an instance's presence entries outlive their last refresh, so a
   * crashed instance's users leave within 1.25 × this (at most 24 s: the contract says 30).
   */
  readonly presenceTtlMs!: number;
  /**
   * With Redis: how long one command may take before its request fails with 503
   * (CONTRACT.md, `REDIS_COMMAND_TIMEOUT_MS`), so that a stalled Redis holds no request long.
   */
  readonly redisCommandTimeoutMs!: number;
}

export interface JwtSettings {
  /** HS256 key; null when tokens are verified with a public key. */
  readonly secret: string | null;
  /** PEM key for RS256/ES256; when set, HS256 tokens are refused. */
  readonly publicKey: string | null;
  readonly algorithms: readonly ('HS256' | 'RS256' | 'ES256')[];
  readonly issuer: string | null;
  readonly audience: string | null;
  /** True when no key was configured and the fixed development secret is in use. */
  readonly usingDevSecret: boolean;
}

/** Signs and verifies tokens in development only, when JWT_SECRET is not set. */
export const DEV_JWT_SECRET = 'dev-only-secret-not-for-production';

/**
 * A bad value: its message names the variable and what is wrong with it, and is all
 * that start-up prints before it exits with code 1 (CONTRACT.md, "Start-up").
 */
export class ConfigError extends Error {}

/** With NODE_ENV=production an HS256 key shorter than this is refused (RFC 7518, 3.2). */
export const MIN_PRODUCTION_SECRET_BYTES = 32;

const DAY_MS = 24 * 3600 * 1000;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): AppConfig {
  const production = env.NODE_ENV === 'production';
  const redisUrl = redisUrlOf(env);
  const workers = integer(env, 'WORKERS', 1, 1);
  if (workers > 1 && !redisUrl) {
    throw new ConfigError(
      'WORKERS > 1 needs REDIS_URL: the embedded store belongs to a single process',
    );
  }
  const retentionDays = integer(env, 'RETENTION_DAYS', 30, 1);
  const config: AppConfig = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: hostOf(env),
    production,
    jwt: jwtSettings(env, production),
    heartbeatMs: integer(env, 'HEARTBEAT_MS', 15000, 10),
    retryMs: integer(env, 'RETRY_MS', 3000, 0),
    dataDir: text(env, 'DATA_DIR') ?? './data',
    redisUrl,
    workers,
    maxStreamsPerUser: integer(env, 'MAX_STREAMS_PER_USER', 10, 1),
    maxStreams: integer(env, 'MAX_STREAMS', 50000, 1),
    publishRateLimit: integer(env, 'PUBLISH_RATE_LIMIT', 120, 1),
    servicePublishRateLimit: integer(env, 'SERVICE_PUBLISH_RATE_LIMIT', 100000, 1),
    publishRateTtlMs: integer(env, 'PUBLISH_RATE_TTL_MS', 60000, 100),
    maxBufferedBytes: integer(env, 'MAX_BUFFERED_BYTES', 1048576, 1024),
    retentionDays,
    retentionMs:
      env.TEST_RETENTION_MS === undefined
        ? retentionDays * DAY_MS
        : integer(env, 'TEST_RETENTION_MS', 0, 100),
    compression: boolean(env, 'COMPRESSION', true),
    corsOrigins: corsOriginsOf(env),
    metricsToken: text(env, 'METRICS_TOKEN'),
    presenceTtlMs: integer(env, 'PRESENCE_TTL_MS', 20000, 1000, 24000),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 2000, 10, 60000),
  };
  return Object.freeze(config);
}

function jwtSettings(env: Env, production: boolean): JwtSettings {
  const publicKey = text(env, 'JWT_PUBLIC_KEY');
  const secret = text(env, 'JWT_SECRET');
  const issuer = text(env, 'JWT_ISSUER');
  const audience = text(env, 'JWT_AUDIENCE');
  if (publicKey) {
    return freeze({
      secret: null,
      publicKey: checkedPublicKey(publicKey),
      algorithms: ['RS256', 'ES256'],
      issuer,
      audience,
      usingDevSecret: false,
    });
  }
  if (!secret && production) {
    throw new ConfigError('JWT_SECRET (or JWT_PUBLIC_KEY) is required when NODE_ENV=production');
  }
  if (secret && production && Buffer.byteLength(secret) < MIN_PRODUCTION_SECRET_BYTES) {
    throw new ConfigError(
      `JWT_SECRET must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes when NODE_ENV=production, ` +
        `got ${Buffer.byteLength(secret)}`,
    );
  }
  return freeze({
    secret: secret ?? DEV_JWT_SECRET,
    publicKey: null,
    algorithms: ['HS256'],
    issuer,
    audience,
    usingDevSecret: !secret,
  });
}

/**
 * The PEM text of JWT_PUBLIC_KEY (`\\n` may stand for line breaks, as in a one-line
 * environment file), once node:crypto has parsed it as a key that RS256 or ES256 can
 * use. The key's text is never echoed: only what is wrong with it.
 */
function checkedPublicKey(raw: string): string {
  const pem = raw.replace(/\\n/g, '\n').trim();
  if (!pem.startsWith('-----BEGIN')) {
    throw new ConfigError('JWT_PUBLIC_KEY must be a PEM key (-----BEGIN PUBLIC KEY-----...)');
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError('JWT_PUBLIC_KEY is a private key: give the public key only');
  }
  let key;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    // OpenSSL's reason, without its stack: "error:1E08010C:DECODER routines::unsupported".
    const { message } = error as { message?: unknown };
    const reason = typeof message === 'string' ? message : String(error);
    throw new ConfigError(`JWT_PUBLIC_KEY does not parse as a PEM public key (${reason})`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (
    key.asymmetricKeyType === 'rsa' ||
    (key.asymmetricKeyType === 'ec' && curve === 'prime256v1')
  ) {
    return pem;
  }
  throw new ConfigError(
    `JWT_PUBLIC_KEY must be an RSA key (RS256) or a P-256 EC key (ES256), not ` +
      `${key.asymmetricKeyType ?? 'an unknown type'}${curve ? ` on ${curve}` : ''}`,
  );
}

/**
 * REDIS_URL must be a redis:// or rediss:// URL with a host: ioredis would take
 * anything else for a host name (and retry it forever) or a Unix socket path. The
 * value is not echoed whole, since it may hold a password.
 */
function redisUrlOf(env: Env): string | null {
  const raw = text(env, 'REDIS_URL');
  if (raw === null) return null;
  const expected = 'expected redis://[user:password@]host[:port][/db] or rediss://...';
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`REDIS_URL is not a URL (${expected})`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new ConfigError(`REDIS_URL has no host (${expected})`);
  if (!/^(\/\d*)?$/.test(url.pathname)) {
    throw new ConfigError(`REDIS_URL's path must be a database number, as in /0 (${expected})`);
  }
  return raw.trim();
}

/** HOST: an IP address or a host name, not something that fails only at listen(). */
function hostOf(env: Env): string {
  const host = text(env, 'HOST')?.trim() ?? '0.0.0.0';
  const hostname = /^[a-z\d]([a-z\d-]*[a-z\d])?(\.[a-z\d]([a-z\d-]*[a-z\d])?)*$/i;
  if (isIP(host) === 0 && !hostname.test(host)) {
    throw new ConfigError(`HOST must be an IP address or a host name, got "${host}"`);
  }
  return host;
}

/**
 * CORS_ORIGINS: comma-separated origins (scheme://host[:port]), as a browser sends them
 * in its Origin header; each is kept in that serialised form, so that
 * `https://a.test:443/` matches `https://a.test`. A path, a query or a `*` is refused
 * rather than silently never matching.
 */
function corsOriginsOf(env: Env): string[] {
  const entries = (text(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    const wrong = new ConfigError(
      `CORS_ORIGINS: "${entry}" is not an origin (expected scheme://host[:port], ` +
        'as in https://app.example.com, separated by commas)',
    );
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw wrong;
    }
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    if (!['http:', 'https:'].includes(url.protocol) || !bare || !entry.includes('//')) {
      throw wrong;
    }
    return url.origin;
  });
}

function freeze<T extends object>(value: T): Readonly<T> {
  return Object.freeze(value);
}

function text(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max = 2 ** 31 - 1) {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}
