import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { PreferenceStore } from '../../src/storage/preference-store.js';

export interface OpenedPreferenceStore {
  store: PreferenceStore;
  close(): Promise<void>;
}

/**
 * The behaviour every {@link PreferenceStore} must have (CONTRACT.md, "The inbox":
 * preferences). `open` gives a fresh, empty store per test.
 */
export function describePreferenceStore(
  name: string,
  open: () => Promise<OpenedPreferenceStore>,
): void {
  describe(`${PreferenceStore.name} contract: ${name}`, () => {
    let opened: OpenedPreferenceStore;
    let store: PreferenceStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('mutes nothing for a user who never changed anything', async () => {
      expect(await store.mutedTypes('alice')).toEqual([]);
    });

    it('mutes the types set to false and answers the muted set, sorted', async () => {
      expect(await store.setTypes('alice', { 'zz.top': false, 'invoice.paid': false })).toEqual([
        'invoice.paid',
        'zz.top',
      ]);
      expect(await store.mutedTypes('alice')).toEqual(['invoice.paid', 'zz.top']);
    });

    it('merges: a type set to true is unmuted, types not named keep their setting', async () => {
      await store.setTypes('alice', { a: false, b: false, c: false });
      expect(await store.setTypes('alice', { b: true, d: false, e: true })).toEqual([
        'a',
        'c',
        'd',
      ]);
      expect(await store.mutedTypes('alice')).toEqual(['a', 'c', 'd']);
    });

    it('is idempotent and answers the current set for no change', async () => {
      await store.setTypes('alice', { a: false });
      expect(await store.setTypes('alice', { a: false })).toEqual(['a']);
      expect(await store.setTypes('alice', {})).toEqual(['a']);
      expect(await store.setTypes('alice', { a: true })).toEqual([]);
      expect(await store.setTypes('alice', { a: true })).toEqual([]);
      expect(await store.mutedTypes('alice')).toEqual([]);
    });

    it('keeps each user apart', async () => {
      await store.setTypes('alice', { a: false });
      await store.setTypes('bob', { b: false });
      expect(await store.mutedTypes('alice')).toEqual(['a']);
      expect(await store.mutedTypes('bob')).toEqual(['b']);
      expect(await store.mutedTypes('carol')).toEqual([]);
    });

    it('loses no change among concurrent changes of one user', async () => {
      const types = Array.from({ length: 10 }, (_, i) => `t${i}`);
      await Promise.all(types.map((type) => store.setTypes('alice', { [type]: false })));
      expect(await store.mutedTypes('alice')).toEqual(types);
    });
  });
}
