import { HttpException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config.js';
import { StreamAdmission } from './stream-admission.js';

const admission = (env: Record<string, string>) =>
  new StreamAdmission(loadConfig({ DATA_DIR: '/unused', ...env }));

/** The status and message `admit` refused with, or null when it admitted. */
function refusal(limits: StreamAdmission, userId: string): [number, string] | null {
  try {
    limits.admit(userId);
    return null;
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return [error.getStatus(), error.message];
  }
}

describe(StreamAdmission.name, () => {
  it('refuses with 503 once the instance holds MAX_STREAMS, whoever asks', () => {
    const limits = admission({ MAX_STREAMS: '2' });
    limits.admit('ada');
    limits.admit('ben');
    expect(refusal(limits, 'cy')).toEqual([503, expect.stringMatching(/maximum of 2 streams/)]);
  });

  it('refuses with 429 a user who holds MAX_STREAMS_PER_USER, and only that user', () => {
    const limits = admission({ MAX_STREAMS_PER_USER: '2' });
    limits.admit('ada');
    limits.admit('ada');
    expect(refusal(limits, 'ada')).toEqual([
      429,
      expect.stringMatching(/ada already has 2 open streams \(MAX_STREAMS_PER_USER\)/),
    ]);
    expect(refusal(limits, 'ben')).toBeNull();
  });

  it('frees a slot when a stream is released, once however often release is called', () => {
    const limits = admission({ MAX_STREAMS: '2' });
    const release = limits.admit('ada');
    limits.admit('ada');
    release();
    release();
    expect(limits.counts).toEqual({ streams: 1, users: 1 });
    expect(refusal(limits, 'ben')).toBeNull();
    expect(refusal(limits, 'cy')).toEqual([503, expect.any(String)]);
  });

  it('forgets a user whose last stream closed (no entry per user ever seen)', () => {
    const limits = admission({});
    const releases = [limits.admit('ada'), limits.admit('ada'), limits.admit('ben')];
    for (const release of releases) release();
    expect(limits.counts).toEqual({ streams: 0, users: 0 });
  });
});
