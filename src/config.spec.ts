import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './config.js';

const pem = (type: 'rsa' | 'ec' | 'ed25519', part: 'publicKey' | 'privateKey' = 'publicKey') => {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('ed25519');
  return pair[part].export({ type: part === 'publicKey' ? 'spki' : 'pkcs8', format: 'pem' });
};

/** The ConfigError message loadConfig throws for `env`. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('runs on the contract’s defaults with no variables at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      production: false,
      heartbeatMs: 15000,
      retryMs: 3000,
      dataDir: './data',
      redisUrl: null,
      workers: 1,
      maxStreamsPerUser: 10,
      maxStreams: 50000,
      publishRateLimit: 120,
      servicePublishRateLimit: 100000,
      publishRateTtlMs: 60000,
      maxBufferedBytes: 1048576,
      retentionDays: 30,
      retentionMs: 30 * 24 * 3600 * 1000,
      compression: true,
      redisCommandTimeoutMs: 2000,
      corsOrigins: [],
      metricsToken: null,
    });
    expect(config.jwt).toMatchObject({
      secret: DEV_JWT_SECRET,
      algorithms: ['HS256'],
      usingDevSecret: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('refuses to start in production without a key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });

  it('verifies with RS256/ES256 only when a public key is set', () => {
    const key = pem('rsa') as string;
    // As a one-line environment file gives it: "\\n" for each line break.
    const jwt = loadConfig({ JWT_PUBLIC_KEY: key.trim().replace(/\n/g, '\\n') }).jwt;
    expect(jwt).toMatchObject({
      secret: null,
      algorithms: ['RS256', 'ES256'],
      usingDevSecret: false,
    });
    expect(jwt.publicKey).toBe(key.trim());
  });

  describe('JWT_PUBLIC_KEY', () => {
    it('accepts a P-256 EC key (ES256)', () => {
      expect(loadConfig({ JWT_PUBLIC_KEY: pem('ec') as string }).jwt.publicKey).toMatch(
        /^-----BEGIN PUBLIC KEY-----/,
      );
    });

    it('refuses a PEM-shaped key that does not parse, saying so without a stack', () => {
      const garbage = '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----';
      expect(refusal({ JWT_PUBLIC_KEY: garbage })).toMatch(
        /^JWT_PUBLIC_KEY does not parse as a PEM public key \(error:[^\n]+\)$/,
      );
    });

    it('refuses a private key without echoing it', () => {
      const message = refusal({ JWT_PUBLIC_KEY: pem('rsa', 'privateKey') as string });
      expect(message).toBe('JWT_PUBLIC_KEY is a private key: give the public key only');
    });

    it('refuses a key that neither RS256 nor ES256 can use', () => {
      expect(refusal({ JWT_PUBLIC_KEY: pem('ed25519') as string })).toMatch(
        /JWT_PUBLIC_KEY must be an RSA key \(RS256\) or a P-256 EC key \(ES256\), not ed25519/,
      );
    });
  });

  describe('JWT_SECRET with NODE_ENV=production', () => {
    it('refuses a secret shorter than 32 bytes, counting bytes, not characters', () => {
      expect(refusal({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) })).toBe(
        'JWT_SECRET must be at least 32 bytes when NODE_ENV=production, got 31',
      );
      // 16 characters of 2 bytes each: 32 bytes.
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'é'.repeat(16) }).jwt.secret).toBe(
        'é'.repeat(16),
      );
    });

    it('accepts a short secret in development', () => {
      expect(loadConfig({ JWT_SECRET: 'short' }).jwt.secret).toBe('short');
    });
  });

  describe('REDIS_URL', () => {
    it('accepts redis:// and rediss:// URLs, with credentials and a database', () => {
      for (const url of [
        'redis://x',
        'rediss://user:pw@cache.internal:6380/2',
        'redis://[::1]:6379',
      ]) {
        expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
      }
    });

    it.each([
      ['notaurl', /^REDIS_URL is not a URL/],
      ['ftp://x:1', /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL, not ftp:\/\//],
      ['redis://', /^REDIS_URL has no host/],
      ['redis://x:6379/cache', /^REDIS_URL's path must be a database number/],
      ['redis://x:99999', /^REDIS_URL is not a URL/],
    ])('refuses %s', (url, message) => {
      expect(refusal({ REDIS_URL: url })).toMatch(message);
    });

    it('never echoes a password', () => {
      expect(refusal({ REDIS_URL: 'http://user:s3cret@x' })).not.toContain('s3cret');
      expect(refusal({ REDIS_URL: 'redis://user:s3cret@x/db' })).not.toContain('s3cret');
    });
  });

  describe('CORS_ORIGINS', () => {
    it('keeps each origin as a browser sends it in its Origin header', () => {
      expect(
        loadConfig({ CORS_ORIGINS: 'https://a.test:443/, http://B.test:8080, http://[::1]:3000' })
          .corsOrigins,
      ).toEqual(['https://a.test', 'http://b.test:8080', 'http://[::1]:3000']);
    });

    it.each(['not a url', '*', 'null', 'https://a.test/app', 'ftp://a.test', 'https://a.test?x=1'])(
      'refuses %s, naming it',
      (entry) => {
        expect(refusal({ CORS_ORIGINS: `https://ok.test,${entry}` })).toBe(
          `CORS_ORIGINS: "${entry}" is not an origin (expected scheme://host[:port], ` +
            'as in https://app.example.com, separated by commas)',
        );
      },
    );
  });

  it('refuses a HOST that is neither an IP address nor a host name', () => {
    expect(refusal({ HOST: 'not a host' })).toMatch(/^HOST must be an IP address or a host name/);
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it.each([
    ['PORT', 'abc'],
    ['HEARTBEAT_MS', '-5'],
    ['MAX_STREAMS_PER_USER', '0'],
    ['COMPRESSION', 'maybe'],
    ['PUBLISH_RATE_LIMIT', '0'],
    ['SERVICE_PUBLISH_RATE_LIMIT', 'lots'],
    ['PUBLISH_RATE_TTL_MS', '1.5'],
    ['JWT_PUBLIC_KEY', 'not a pem'],
    ['REDIS_URL', 'localhost:6379'],
    ['CORS_ORIGINS', 'example.com'],
    ['HOST', 'a host'],
    ['REDIS_COMMAND_TIMEOUT_MS', '0'],
    ['REDIS_COMMAND_TIMEOUT_MS', 'soon'],
  ])('names the variable when %s=%s is invalid', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('refuses WORKERS > 1 without REDIS_URL', () => {
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/REDIS_URL/);
    expect(loadConfig({ WORKERS: '2', REDIS_URL: 'redis://x' }).workers).toBe(2);
  });

  it('splits CORS_ORIGINS on commas', () => {
    expect(loadConfig({ CORS_ORIGINS: 'http://a.test, http://b.test' }).corsOrigins).toEqual([
      'http://a.test',
      'http://b.test',
    ]);
  });
});
