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
  readonly compression!: boolean;
  readonly corsOrigins!: readonly string[];
  readonly metricsToken!: string | null;
  /**
   * With Redis: how long an instance's presence entries outlive their last refresh, so a
   * crashed instance's users leave within 1.25 × this (at most 24 s: the contract says 30).
   */
  readonly presenceTtlMs!: number;
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

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): AppConfig {
  const production = env.NODE_ENV === 'production';
  const redisUrl = text(env, 'REDIS_URL');
  const workers = integer(env, 'WORKERS', 1, 1);
  if (workers > 1 && !redisUrl) {
    throw new ConfigError(
      'WORKERS > 1 needs REDIS_URL: the embedded store belongs to a single process',
    );
  }
  const config: AppConfig = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
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
    retentionDays: integer(env, 'RETENTION_DAYS', 30, 1),
    compression: boolean(env, 'COMPRESSION', true),
    corsOrigins: (text(env, 'CORS_ORIGINS') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    metricsToken: text(env, 'METRICS_TOKEN'),
    presenceTtlMs: integer(env, 'PRESENCE_TTL_MS', 20000, 1000, 24000),
  };
  return Object.freeze(config);
}

function jwtSettings(env: Env, production: boolean): JwtSettings {
  const publicKey = text(env, 'JWT_PUBLIC_KEY');
  const secret = text(env, 'JWT_SECRET');
  const issuer = text(env, 'JWT_ISSUER');
  const audience = text(env, 'JWT_AUDIENCE');
  if (publicKey) {
    if (!publicKey.includes('-----BEGIN')) {
      throw new ConfigError('JWT_PUBLIC_KEY must be a PEM key (-----BEGIN PUBLIC KEY-----...)');
    }
    return freeze({
      secret: null,
      publicKey: publicKey.replace(/\\n/g, '\n'),
      algorithms: ['RS256', 'ES256'],
      issuer,
      audience,
      usingDevSecret: false,
    });
  }
  if (!secret && production) {
    throw new ConfigError('JWT_SECRET (or JWT_PUBLIC_KEY) is required when NODE_ENV=production');
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
