import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TimelineDraft, TimelineStore } from '../../src/storage/timeline-store.js';
import { sleep } from '../support/wait.js';

export interface OpenedTimelineStore {
  store: TimelineStore;
  close(): Promise<void>;
}

/** What a store is opened with; a store keeps timelines a day unless a test says otherwise. */
export interface TimelineStoreSettings {
  /** How long a timeline is kept after its last append (RETENTION_DAYS). */
  retentionMs?: number;
}

/** The retention of the test that ages timelines: long enough for a loaded machine's timers. */
const RETENTION_MS = 1000;

const log = (line: string): TimelineDraft => ({ type: 'log', data: { line } });

/** The behaviour every {@link TimelineStore} must have; `open` gives a fresh, empty one. */
export function describeTimelineStore(
  name: string,
  open: (settings?: TimelineStoreSettings) => Promise<OpenedTimelineStore>,
) {
  describe(`${TimelineStore.name} contract: ${name}`, () => {
    let store: TimelineStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    it('forgets a timeline the retention after its last append, whole, and keeps one appended to since', async () => {
      await close();
      ({ store, close } = await open({ retentionMs: RETENTION_MS }));
      await store.append('w1', [log('a'), log('b')]);
      const [first] = await store.append('w2', [log('c')]);
      await sleep(RETENTION_MS * 0.6);
      const [second] = await store.append('w2', [log('d')]);
      await sleep(RETENTION_MS * 0.6);

      await store.prune(new Date(Date.now() - RETENTION_MS));
      expect(await store.readAfter('w1', null, 10)).toEqual([]);
      expect(await store.latestCursor('w1')).toBeNull();
      expect(await store.readAfter('w2', null, 10)).toEqual([first, second]);
    });

    it('numbers each workflow’s events 1, 2, 3… across appends, and returns them as given', async () => {
      const first = await store.append('w1', [
        { type: 'workflow.started', data: { name: 'Budget', nested: { a: [1, 'x'] } } },
        log('one'),
      ]);
      const second = await store.append('w1', [log('two')]);
      expect(first).toEqual([
        { id: '1', type: 'workflow.started', data: { name: 'Budget', nested: { a: [1, 'x'] } } },
        { id: '2', type: 'log', data: { line: 'one' } },
      ]);
      expect(second).toEqual([{ id: '3', type: 'log', data: { line: 'two' } }]);
    });

    it('keeps workflows apart', async () => {
      await store.append('w1', [log('a')]);
      const [other] = await store.append('w2', [log('b')]);
      expect(other.id).toBe('1');
      expect(await store.readAfter('w1', null, 10)).toEqual([
        { id: '1', type: 'log', data: { line: 'a' } },
      ]);
    });

    it('reads from the start for a null cursor, after a cursor otherwise, oldest first, up to limit', async () => {
      const events = await store.append('w', ['a', 'b', 'c', 'd', 'e'].map(log));
      expect(await store.readAfter('w', null, 10)).toEqual(events);
      expect(await store.readAfter('w', '2', 10)).toEqual(events.slice(2));
      expect(await store.readAfter('w', '1', 2)).toEqual(events.slice(1, 3));
      expect(await store.readAfter('w', '5', 10)).toEqual([]);
    });

    it('has nothing for an unknown workflow', async () => {
      expect(await store.readAfter('nope', null, 10)).toEqual([]);
      expect(await store.latestCursor('nope')).toBeNull();
    });

    it('gives the cursor of each workflow’s last event as its latest', async () => {
      await store.append('w1', [log('a'), log('b')]);
      await store.append('w2', [log('c')]);
      const [last] = await store.append('w1', [log('d')]);
      expect(await store.latestCursor('w1')).toBe(last.id);
      expect(last.id).toBe('3');
      expect(await store.latestCursor('w2')).toBe('1');
    });

    it('keeps line breaks and markup inside data as data', async () => {
      const line = 'a\nb\r\n\n<b>event: x</b>\u2028';
      await store.append('w', [log(line)]);
      expect((await store.readAfter('w', null, 1))[0].data).toEqual({ line });
    });
  });
}
