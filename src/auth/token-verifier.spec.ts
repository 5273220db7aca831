import { UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { strictFake } from '../testing/strict-fake.js';
import { MAX_CLAIM_SECONDS_AHEAD, TokenVerifier, VERIFIED_TOKENS_KEPT } from './token-verifier.js';

const secret = 'unit-test-secret';
const verifier = new TokenVerifier(
  new JwtService({ secret, verifyOptions: { algorithms: ['HS256'] } }),
);
const sign = (claims: object) => new JwtService({ secret }).sign(claims, { algorithm: 'HS256' });
const now = () => Math.floor(Date.now() / 1000);

/** The 401 message `verify` refused `token` with, or null when it accepted. */
function refusalOf(token: string, by = verifier): string | null {
  try {
    by.verify(token);
    return null;
  } catch (error) {
    if (!(error instanceof UnauthorizedException)) throw error;
    return error.message;
  }
}

/** The 401 message `verify` refused a token with these claims with, or null. */
const refusal = (claims: object) => refusalOf(sign(claims));

/**
 * A verifier whose JwtService accepts any token and gives `claims` as they are: for
 * claims JSON cannot carry (-Infinity) and that jsonwebtoken lets through.
 */
const acceptingAs = (claims: object) =>
  new TokenVerifier(strictFake<JwtService>('JwtService', { verify: <T>() => claims as T }));

describe(TokenVerifier.name, () => {
  describe('verify', () => {
    it('accepts an exp just within 100 years and gives it as a valid Date', () => {
      const exp = now() + MAX_CLAIM_SECONDS_AHEAD - 60;
      const user = verifier.verify(sign({ sub: 'a', exp }));
      expect(user.expiresAt.getTime()).toBe(exp * 1000);
      expect(() => user.expiresAt.toISOString()).not.toThrow();
    });

    it('refuses an exp just beyond 100 years', () => {
      expect(refusal({ sub: 'a', exp: now() + MAX_CLAIM_SECONDS_AHEAD + 60 })).toMatch(
        /exp must be a finite number of seconds within the next 100 years/,
      );
    });

    it('refuses an exp past the last Date there is', () => {
      expect(refusal({ sub: 'a', exp: 8640000000001 })).toMatch(/exp must be/);
    });

    it('accepts an nbf in the past', () => {
      expect(refusal({ sub: 'a', exp: now() + 60, nbf: now() - 60 })).toBeNull();
    });

    it.each([
      ['a lone high surrogate', 'a\ud800'],
      ['a lone low surrogate', '\udfffa'],
      ['a reversed pair', '\ude00\ud83d'],
    ])('refuses a sub with %s', (_, sub) => {
      expect(refusal({ sub, exp: now() + 60 })).toMatch(/sub must be valid Unicode/);
    });

    it('accepts a sub with surrogate pairs and U+FFFD', () => {
      expect(verifier.verify(sign({ sub: '\ud83d\ude00\ufffd', exp: now() + 60 })).id).toBe(
        '\ud83d\ude00\ufffd',
      );
    });

    it('refuses the sub "*", the broadcast marker', () => {
      expect(refusal({ sub: '*', exp: now() + 60 })).toMatch(/sub must not be "\*"/);
    });

    it('refuses a name with a lone surrogate', () => {
      expect(refusal({ sub: 'a', name: 'Ann \ud83d', exp: now() + 60 })).toMatch(
        /name must be valid Unicode/,
      );
    });

    it('refuses an nbf JSON writes as -1e400 (-Infinity), which jsonwebtoken lets through', () => {
      expect(refusalOf('any', acceptingAs({ sub: 'a', exp: now() + 60, nbf: -Infinity }))).toBe(
        'Invalid token: nbf must be a finite number of seconds within the next 100 years',
      );
    });

    it('gives the user its sub, name, roles and expiry', () => {
      const exp = now() + 60;
      expect(verifier.verify(sign({ sub: 'Ann-1', name: 'Ann', roles: ['admin'], exp }))).toEqual({
        id: 'Ann-1',
        name: 'Ann',
        roles: ['admin'],
        expiresAt: new Date(exp * 1000),
      });
    });

    it('gives no roles and no name when the token has none', () => {
      expect(verifier.verify(sign({ sub: 'a', exp: now() + 60 }))).toMatchObject({
        name: null,
        roles: [],
      });
    });

    it('ignores a name that is not a string', () => {
      expect(verifier.verify(sign({ sub: 'a', name: 42, exp: now() + 60 })).name).toBeNull();
    });

    it('refuses an expired token as "Token expired"', () => {
      expect(refusal({ sub: 'a', exp: now() - 10 })).toBe('Token expired');
    });

    it('refuses a token signed with another key, naming the signature', () => {
      const forged = new JwtService({ secret: 'another-secret' }).sign(
        { sub: 'a', exp: now() + 60 },
        { algorithm: 'HS256' },
      );
      expect(refusalOf(forged)).toBe('Invalid token: invalid signature');
    });

    it('refuses a malformed token without echoing it', () => {
      const message = refusalOf('not-a-jwt-zq81x');
      expect(message).toBe('Invalid token: malformed');
      expect(message).not.toContain('zq81x');
    });

    it.each([
      ['no sub', {}],
      ['an empty sub', { sub: '' }],
      ['a sub that is not a string', { sub: 7 }],
    ])('refuses a token with %s', (_, claims) => {
      expect(refusal({ ...claims, exp: now() + 60 })).toBe(
        'Invalid token: sub (the user id) is required',
      );
    });

    it('refuses a token without exp', () => {
      expect(refusal({ sub: 'a' })).toBe('Invalid token: exp is required');
    });

    it.each([
      ['not an array', 'admin'],
      ['an array with a non-string', ['admin', 1]],
    ])('refuses roles that are %s', (_, roles) => {
      expect(refusal({ sub: 'a', roles, exp: now() + 60 })).toBe(
        'Invalid token: roles must be an array of strings',
      );
    });
  });

  describe('remembering verified tokens', () => {
    afterEach(() => {
      jest.restoreAllMocks();
    });

    /** A verifier over a real JwtService whose verify calls are counted. */
    function counting() {
      const jwt = new JwtService({ secret, verifyOptions: { algorithms: ['HS256'] } });
      const calls = jest.spyOn(jwt, 'verify');
      return { verifier: new TokenVerifier(jwt), calls };
    }

    it('checks a token once, then gives the same user until it expires', () => {
      const { verifier: remembering, calls } = counting();
      const token = sign({ sub: 'a', roles: ['service'], exp: now() + 60 });
      const first = remembering.verify(token);
      expect(remembering.verify(token)).toEqual(first);
      expect(calls).toHaveBeenCalledTimes(1);
    });

    it('refuses a remembered token as "Token expired" once its exp is reached', () => {
      const { verifier: remembering, calls } = counting();
      const exp = now() + 60;
      const token = sign({ sub: 'a', exp });
      remembering.verify(token);
      jest.spyOn(Date, 'now').mockReturnValue(exp * 1000);
      expect(refusalOf(token, remembering)).toBe('Token expired');
      expect(calls).toHaveBeenCalledTimes(2);
    });

    it('never remembers a refused token', () => {
      const { verifier: remembering, calls } = counting();
      const forged = new JwtService({ secret: 'another-secret' }).sign(
        { sub: 'a', exp: now() + 60 },
        { algorithm: 'HS256' },
      );
      expect(refusalOf(forged, remembering)).toBe('Invalid token: invalid signature');
      expect(refusalOf(forged, remembering)).toBe('Invalid token: invalid signature');
      expect(calls).toHaveBeenCalledTimes(2);
    });

    it(`keeps at most ${VERIFIED_TOKENS_KEPT} tokens, forgetting the least recently used`, () => {
      const { verifier: remembering, calls } = counting();
      const tokens = Array.from({ length: VERIFIED_TOKENS_KEPT + 1 }, (_, i) =>
        sign({ sub: `u${i}`, exp: now() + 60 }),
      );
      tokens.slice(0, -1).forEach((token) => remembering.verify(token));
      remembering.verify(tokens[0]); // used again: the second is now the oldest
      remembering.verify(tokens.at(-1)!);
      calls.mockClear();
      remembering.verify(tokens[0]);
      expect(calls).toHaveBeenCalledTimes(0);
      remembering.verify(tokens[1]);
      expect(calls).toHaveBeenCalledTimes(1);
    });
  });
});
