import { describe, expect, it } from '@jest/globals';
import { withinDeadline } from './within-deadline.js';

const never = new Promise<string>(() => undefined);

describe(withinDeadline.name, () => {
  it('gives what the promise gives when it settles in time, and leaves no timer', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(await withinDeadline(Promise.resolve('done'), 10_000, () => 'late')).toBe('done');
    await expect(
      withinDeadline(Promise.reject(new Error('failed')), 10_000, () => 'late'),
    ).rejects.toThrow('failed');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  it("gives onTimeout's value, or its error, once the time is up", async () => {
    expect(await withinDeadline(never, 5, () => 'late')).toBe('late');
    await expect(
      withinDeadline(never, 5, () => {
        throw new Error('too slow');
      }),
    ).rejects.toThrow('too slow');
  });
});
