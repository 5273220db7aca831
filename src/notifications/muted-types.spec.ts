import { describe, expect, it, jest } from '@jest/globals';
import { PreferenceStore } from '../storage/preference-store.js';
import { strictFake } from '../testing/strict-fake.js';
import { MutedTypes } from './muted-types.js';

/** MutedTypes over a store whose reads wait until the test answers them. */
function setup() {
  const answers: { resolve: (muted: string[]) => void; reject: (error: Error) => void }[] = [];
  const mutedTypes = jest.fn(
    () => new Promise<string[]>((resolve, reject) => answers.push({ resolve, reject })),
  );
  const muted = new MutedTypes(strictFake<PreferenceStore>('preferences', { mutedTypes }));
  return { muted, answers, mutedTypes };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(MutedTypes.name, () => {
  describe('allows', () => {
    it('says yes for unknown users, no for a muted type, and "not yet" while the set is read', async () => {
      const { muted, answers } = setup();
      muted.retain('alice');
      expect(muted.allows('alice', 'invoice.paid')).toBeNull();
      answers[0].resolve(['invoice.paid']);
      await flush();
      expect(muted.allows('alice', 'invoice.paid')).toBe(false);
      expect(muted.allows('alice', 'invoice.sent')).toBe(true);
      expect(muted.allows('bob', 'invoice.paid')).toBe(true);
    });
  });

  describe('forUser', () => {
    it('skips the deliveries to users who turned the type off, and only those', async () => {
      const { muted, answers } = setup();
      muted.retain('alice');
      muted.retain('bob');
      answers[0].resolve(['invoice.paid']);
      answers[1].resolve([]);
      await flush();
      const sent: string[] = [];
      for (const userId of ['alice', 'bob', 'carol'])
        muted.forUser(userId, 'invoice.paid', () => void sent.push(userId));
      expect(sent).toEqual(['bob', 'carol']);
    });

    it('holds deliveries to a user whose set is being read, then filters them in order', async () => {
      const { muted, answers } = setup();
      muted.retain('alice');
      const sent: string[] = [];
      muted.forUser('alice', 'invoice.paid', () => void sent.push('paid'));
      muted.forUser('alice', 'test.ping', () => void sent.push('ping'));
      expect(sent).toEqual([]);
      answers[0].resolve(['invoice.paid']);
      await muted.ready('alice');
      expect(sent).toEqual(['ping']);
    });
  });

  describe('update', () => {
    it('wins over a read of the store that was under way', async () => {
      const { muted, answers } = setup();
      muted.retain('alice');
      expect(muted.update('alice', ['a'])).toBe(true);
      answers[0].resolve([]);
      expect(await muted.ready('alice')).toEqual(['a']);
      expect(muted.isMuted('alice', 'a')).toBe(true);
    });

    it('is false for a user with no stream here, and keeps nothing', () => {
      const { muted } = setup();
      expect(muted.update('alice', ['a'])).toBe(false);
      expect(muted.size).toBe(0);
    });
  });

  describe('retain and release', () => {
    it('reads the store once per user however many streams, and forgets them with the last', async () => {
      const { muted, answers, mutedTypes } = setup();
      muted.retain('alice');
      muted.retain('alice');
      answers[0].resolve(['a']);
      await muted.ready('alice');
      expect(mutedTypes).toHaveBeenCalledTimes(1);
      muted.release('alice');
      expect(muted.isMuted('alice', 'a')).toBe(true);
      muted.release('alice');
      expect(muted.size).toBe(0);
      expect(muted.isMuted('alice', 'a')).toBe(false);
    });

    it('rejects ready when the store fails, drops what waited, and reads again on the next open', async () => {
      const { muted, answers, mutedTypes } = setup();
      muted.retain('alice');
      const sent: string[] = [];
      muted.forUser('alice', 'x', () => void sent.push('x'));
      answers[0].reject(new Error('down'));
      await expect(muted.ready('alice')).rejects.toThrow('down');
      expect(sent).toEqual([]);
      muted.retain('alice');
      expect(mutedTypes).toHaveBeenCalledTimes(2);
      answers[1].resolve([]);
      expect(await muted.ready('alice')).toEqual([]);
    });
  });
});
