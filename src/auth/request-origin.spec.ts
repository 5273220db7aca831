import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { crossSiteRefusal, normalizedOrigins } from './request-origin.js';

const listed = normalizedOrigins(['https://App.Example:443']);
const from = (headers: Record<string, string>, method = 'POST') =>
  crossSiteRefusal({ method, headers, socket: {} } as unknown as Request, listed);

describe('crossSiteRefusal', () => {
  it.each(['GET', 'HEAD', 'OPTIONS'])('lets %s through from anywhere', (method) => {
    expect(from({ host: 'hub.example', origin: 'https://evil.example' }, method)).toBeNull();
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('refuses %s from another origin', (method) => {
    expect(from({ host: 'hub.example', origin: 'https://evil.example' }, method)).toMatch(
      /not https:\/\/evil\.example/,
    );
  });

  it('compares origins as the URL standard writes them (case, default port)', () => {
    expect(from({ host: 'hub.example:80', origin: 'http://HUB.example' })).toBeNull();
    expect(from({ host: 'hub.example', origin: 'https://app.example' })).toBeNull();
  });

  it('takes the scheme and host a proxy in front of the service received', () => {
    const proxied = { host: '10.0.0.5:3000', 'x-forwarded-proto': 'https, http' };
    expect(
      from({ ...proxied, 'x-forwarded-host': 'hub.example', origin: 'https://hub.example' }),
    ).toBeNull();
    expect(
      from({ ...proxied, 'x-forwarded-host': 'hub.example', origin: 'http://hub.example' }),
    ).toMatch(/not http:\/\/hub\.example/);
  });

  it('falls back to the Referer only when there is no Origin', () => {
    expect(from({ host: 'hub.example', referer: 'http://hub.example/a?b' })).toBeNull();
    expect(
      from({ host: 'hub.example', origin: 'https://evil.example', referer: 'http://hub.example/' }),
    ).not.toBeNull();
  });

  it.each([
    ['an opaque origin', { origin: 'null' }],
    ['a malformed Referer', { referer: 'not a url' }],
    ['neither header', {}],
  ])('refuses %s', (_, headers) => {
    expect(from({ host: 'hub.example', ...headers })).not.toBeNull();
  });
});
