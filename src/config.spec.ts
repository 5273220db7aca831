import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './config.js';

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
      compression: true,
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
    const jwt = loadConfig({
      JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nabc\\n-----END PUBLIC KEY-----',
    }).jwt;
    expect(jwt).toMatchObject({
      secret: null,
      algorithms: ['RS256', 'ES256'],
      usingDevSecret: false,
    });
    expect(jwt.publicKey).toContain('\nabc\n');
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
