import { describe, expect, it, jest } from '@jest/globals';
import { NotificationStore, type UnreadCount } from '../storage/notification-store.js';
import type { StreamHub } from '../streaming/stream-hub.js';
import type { StreamRegistry } from '../streaming/stream-registry.js';
import { strictFake } from '../testing/strict-fake.js';
import { BROADCAST, type Notification } from './notification.js';
import { UnreadCounts, unreadFrame } from './unread-counts.js';
import type { MutedTypes } from './muted-types.js';

/** Nobody turned anything off. */
const noneMuted = () => strictFake<MutedTypes>('muted', { now: () => [], isMuted: () => false });

/**
 * The counts with a store that answers from `counts` (counting its calls) and a
 * registry where the users in `streaming` have one open stream each.
 */
function setup(counts: Record<string, UnreadCount>, streaming: string[] = []) {
  const open = new Set(streaming);
  const unreadCount = jest.fn((userId: string) => {
    const count = counts[userId];
    if (!count) throw new Error(`No count for ${userId} in this test`);
    return Promise.resolve({ ...count });
  });
  const sendTo = jest.fn<StreamRegistry['sendTo']>(() => 1);
  const store = strictFake<NotificationStore>('store', { unreadCount });
  const streams = strictFake<StreamRegistry>('streams', {
    countFor: (userId) => (open.has(userId) ? 1 : 0),
    sendTo,
  });
  const hub = strictFake<StreamHub>('hub', { users: streams });
  return { counts: new UnreadCounts(store, hub, noneMuted()), unreadCount, sendTo, open };
}

function notification(
  id: string,
  recipient: string,
  actorId: string | null = 'carol',
): Notification {
  return {
    id,
    type: 'message.created',
    recipient,
    actorId,
    title: 't',
    body: '',
    data: {},
    createdAt: '2026-12-06T10:00:00.000Z',
  };
}

describe(UnreadCounts.name, () => {
  describe('current', () => {
    it('asks the store for a user without streams, every time, and keeps nothing', async () => {
      const { counts, unreadCount } = setup({ alice: { count: 2, asOf: '7' } });
      expect(await counts.current('alice')).toEqual({ count: 2, asOf: '7' });
      expect(await counts.current('alice')).toEqual({ count: 2, asOf: '7' });
      expect(unreadCount).toHaveBeenCalledTimes(2);
      expect(counts.size).toBe(0);
    });

    it('follows a user with an open stream: the next answer comes from the cache', async () => {
      const { counts, unreadCount } = setup({ alice: { count: 2, asOf: '7' } }, ['alice']);
      await counts.current('alice');
      expect(await counts.current('alice')).toEqual({ count: 2, asOf: '7' });
      expect(unreadCount).toHaveBeenCalledTimes(1);
      expect(counts.size).toBe(1);
    });

    it('answers from the cache with what deliveries added since', async () => {
      const { counts } = setup({ alice: { count: 2, asOf: '7' } }, ['alice']);
      await counts.current('alice');
      counts.advance(notification('8', 'alice'));
      expect(await counts.current('alice')).toEqual({ count: 3, asOf: '8' });
    });
    it('keeps a count that a delivery moved while another store answer was on its way', async () => {
      const answers: ((count: UnreadCount) => void)[] = [];
      const store = strictFake<NotificationStore>('store', {
        unreadCount: () => new Promise((resolve) => answers.push(resolve)),
      });
      const streams = strictFake<StreamRegistry>('streams', { countFor: () => 1 });
      const counts = new UnreadCounts(
        store,
        strictFake<StreamHub>('hub', { users: streams }),
        noneMuted(),
      );
      const first = counts.current('alice');
      const late = counts.current('alice');
      answers[0]({ count: 2, asOf: '7' });
      await first;
      counts.advance(notification('8', 'alice'));
      answers[1]({ count: 2, asOf: '7' });
      expect(await late).toEqual({ count: 3, asOf: '8' });
    });
  });

  describe('advance', () => {
    it('counts one more for a followed recipient, as of the notification', async () => {
      const { counts } = setup({ alice: { count: 2, asOf: '7' } }, ['alice']);
      await counts.current('alice');
      counts.advance(notification('8', 'alice'));
      expect(counts.frameAfter('alice', '8')).toBe(unreadFrame(3));
    });

    it('does not count a notification the count already includes', async () => {
      const { counts } = setup({ alice: { count: 2, asOf: '7' } }, ['alice']);
      await counts.current('alice');
      counts.advance(notification('7', 'alice'));
      counts.advance(notification('6', 'alice'));
      expect(counts.frameAfter('alice', '7')).toBeNull();
      expect(await counts.current('alice')).toEqual({ count: 2, asOf: '7' });
    });

    it('counts a notification after an empty inbox (no cursor counted yet)', async () => {
      const { counts } = setup({ alice: { count: 0, asOf: null } }, ['alice']);
      await counts.current('alice');
      counts.advance(notification('1', 'alice'));
      expect(await counts.current('alice')).toEqual({ count: 1, asOf: '1' });
    });

    it('leaves users it does not follow alone, without asking the store', () => {
      const { counts, unreadCount } = setup({});
      counts.advance(notification('9', 'alice'));
      expect(counts.frameForBroadcast('alice', notification('10', BROADCAST))).toBeNull();
      expect(unreadCount).not.toHaveBeenCalled();
      expect(counts.size).toBe(0);
    });
  });

  describe('frameForBroadcast', () => {
    it("moves a user's count once per broadcast, however many of their streams it reaches", async () => {
      const { counts } = setup({ alice: { count: 0, asOf: null }, bob: { count: 4, asOf: '5' } }, [
        'alice',
        'bob',
      ]);
      await counts.current('alice');
      await counts.current('bob');
      const broadcast = notification('9', BROADCAST, 'carol');
      expect(counts.frameForBroadcast('alice', broadcast)).toBe(unreadFrame(1));
      expect(counts.frameForBroadcast('alice', broadcast)).toBe(unreadFrame(1));
      expect(counts.frameForBroadcast('bob', broadcast)).toBe(unreadFrame(5));
      expect(await counts.current('alice')).toEqual({ count: 1, asOf: '9' });
      expect(await counts.current('bob')).toEqual({ count: 5, asOf: '9' });
    });

    it('gives no frame when the count already included the broadcast', async () => {
      const { counts } = setup({ alice: { count: 2, asOf: '9' } }, ['alice']);
      await counts.current('alice');
      expect(counts.frameForBroadcast('alice', notification('9', BROADCAST))).toBeNull();
      expect(await counts.current('alice')).toEqual({ count: 2, asOf: '9' });
    });
  });

  describe('frameAfter', () => {
    it('is null for a user it does not follow', () => {
      const { counts } = setup({});
      expect(counts.frameAfter('alice', '1')).toBeNull();
    });

    it('is null for a cursor that is not the one that last moved the count', async () => {
      const { counts } = setup({ alice: { count: 0, asOf: null } }, ['alice']);
      await counts.current('alice');
      counts.advance(notification('1', 'alice'));
      counts.advance(notification('2', 'alice'));
      expect(counts.frameAfter('alice', '1')).toBeNull();
      expect(counts.frameAfter('alice', '2')).toBe(unreadFrame(2));
    });
  });

  describe('recount', () => {
    it("recounts from the store and tells the user's streams", async () => {
      const { counts, sendTo } = setup({ alice: { count: 1, asOf: '3' } }, ['alice']);
      expect(await counts.recount('alice')).toBe(1);
      expect(sendTo).toHaveBeenCalledWith('alice', unreadFrame(1));
      expect(await counts.current('alice')).toEqual({ count: 1, asOf: '3' });
    });

    it('replaces a cached count that the read made stale', async () => {
      const store = { alice: { count: 5, asOf: '9' } };
      const { counts, unreadCount } = setup(store, ['alice']);
      await counts.current('alice');
      store.alice = { count: 0, asOf: '9' };
      await counts.recount('alice');
      expect(await counts.current('alice')).toEqual({ count: 0, asOf: '9' });
      expect(unreadCount).toHaveBeenCalledTimes(2);
    });

    it('sends nothing and follows nobody for a user without streams', async () => {
      const { counts, sendTo } = setup({ alice: { count: 1, asOf: '3' } });
      expect(await counts.recount('alice')).toBe(1);
      expect(sendTo).not.toHaveBeenCalled();
      expect(counts.size).toBe(0);
    });
  });

  describe('forget', () => {
    it('drops the count once the last stream closed', async () => {
      const { counts, open } = setup({ alice: { count: 1, asOf: '3' } }, ['alice']);
      await counts.current('alice');
      open.delete('alice');
      counts.forget('alice');
      expect(counts.size).toBe(0);
    });

    it('keeps the count while the user has a stream open', async () => {
      const { counts } = setup({ alice: { count: 1, asOf: '3' } }, ['alice']);
      await counts.current('alice');
      counts.forget('alice');
      expect(counts.size).toBe(1);
    });
  });
});

describe(unreadFrame.name, () => {
  it('is an unread-count control event, without an id', () => {
    expect(unreadFrame(3)).toBe('event: unread-count\ndata: {"count":3}\n\n');
  });

  it('frames counts past its memo the same way', () => {
    expect(unreadFrame(123_456)).toBe('event: unread-count\ndata: {"count":123456}\n\n');
  });
});
