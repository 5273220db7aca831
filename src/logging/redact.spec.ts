import { describe, expect, it } from '@jest/globals';
import { redactText, redactUrl } from './redact.js';

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('redactUrl', () => {
  it.each([
    [`/notifications/stream?access_token=${jwt}`, '/notifications/stream?access_token=[Redacted]'],
    [`/s?lastEventId=5&access_token=abc&x=1`, '/s?lastEventId=5&access_token=[Redacted]&x=1'],
    [`/s?ticket=t-123`, '/s?ticket=[Redacted]'],
    // Express's query parser decodes names and accepts brackets: so must redaction.
    [`/s?access%5Ftoken=abc`, '/s?access%5Ftoken=[Redacted]'],
    [`/s?ACCESS_TOKEN=abc`, '/s?ACCESS_TOKEN=[Redacted]'],
    [`/s?access_token[0]=abc`, '/s?access_token[0]=[Redacted]'],
    [`/documents/${jwt}/presence`, '/documents/[Redacted]/presence'],
    ['/notifications?limit=5&before=12', '/notifications?limit=5&before=12'],
  ])('%s becomes %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactText', () => {
  it('hides URL credentials and JWTs in free text, keeping the rest', () => {
    const text = `GET /x?access_token=abc&ticket=def failed for ${jwt} (user alice)`;
    expect(redactText(text)).toBe(
      'GET /x?access_token=[Redacted]&ticket=[Redacted] failed for [Redacted] (user alice)',
    );
  });
});
