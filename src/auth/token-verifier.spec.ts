import { UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { describe, expect, it } from '@jest/globals';
import { MAX_CLAIM_SECONDS_AHEAD, TokenVerifier } from './token-verifier.js';

const secret = 'unit-test-secret';
const verifier = new TokenVerifier(
  new JwtService({ secret, verifyOptions: { algorithms: ['HS256'] } }),
);
const sign = (claims: object) => new JwtService({ secret }).sign(claims, { algorithm: 'HS256' });
const now = () => Math.floor(Date.now() / 1000);

/** The 401 message `verify` refused with, or null when it accepted. */
function refusal(claims: object): string | null {
  try {
    verifier.verify(sign(claims));
    return null;
  } catch (error) {
    if (!(error instanceof UnauthorizedException)) throw error;
    return error.message;
  }
}

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
  });
});
