import { describe, expect, it, jest } from '@jest/globals';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ResumableStream } from '../streaming/resumable-stream.js';
import type { StreamHub } from '../streaming/stream-hub.js';
import type { StreamRegistry } from '../streaming/stream-registry.js';
import { strictFake } from '../testing/strict-fake.js';
import { BROADCAST, type Notification } from './notification.js';
import { frameNotification, NotificationRouter } from './notification-router.js';
import { UnreadCounts } from './unread-counts.js';
import type { MutedTypes } from './muted-types.js';

const COUNT = 'event: unread-count\ndata: {"count":4}\n\n';

function notification(recipient: string, actorId: string | null = 'carol'): Notification {
  return {
    id: '42',
    type: 'message.created',
    recipient,
    actorId,
    title: 'New message',
    body: 'hi',
    data: {},
    createdAt: '2026-12-06T10:00:00.000Z',
  };
}

/** A stream of `userId` that records what it was sent: (chunk, cursor, ifDropped). */
function connection(userId: string) {
  const send = jest.fn<ResumableStream['send']>();
  return { send, connection: strictFake<ResumableStream>(`stream of ${userId}`, { userId, send }) };
}

/**
 * The router with unread counts that give `counts[userId]` as a user's new count frame
 * (none for others), and a registry whose broadcast reaches `everyone`.
 */
function setup(counts: Record<string, string> = {}, everyone: ResumableStream[] = []) {
  const calls: string[] = [];
  const sendTo = jest.fn<StreamRegistry['sendTo']>(() => 2);
  const sendToAll = jest.fn<StreamRegistry['sendToAll']>((send, exceptUserId) => {
    const reached = everyone.filter((stream) => stream.userId !== exceptUserId);
    reached.forEach(send);
    return reached.length;
  });
  const delivered = jest.fn<MetricsService['delivered']>();
  const unread = strictFake<UnreadCounts>('unread', {
    advance: () => void calls.push('advance'),
    frameAfter: (userId, cursor) => {
      calls.push(`frameAfter ${userId} ${cursor}`);
      return counts[userId] ?? null;
    },
    frameForBroadcast: (userId, { id }) => {
      calls.push(`frameForBroadcast ${userId} ${id}`);
      return counts[userId] ?? null;
    },
  });
  const router = new NotificationRouter(
    strictFake<StreamHub>('hub', {
      users: strictFake<StreamRegistry>('streams', { sendTo, sendToAll }),
    }),
    unread,
    strictFake<MetricsService>('metrics', { delivered }),
    // Nobody turned anything off.
    strictFake<MutedTypes>('muted', {
      allows: () => true,
    }),
  );
  return { router, sendTo, sendToAll, delivered, calls };
}

describe(NotificationRouter.name, () => {
  describe('deliver', () => {
    it("sends a user's notification to that user's streams, with its cursor", () => {
      const { router, sendTo } = setup();
      const sent = notification('alice');
      router.deliver(sent, JSON.stringify(sent));
      expect(sendTo).toHaveBeenCalledTimes(1);
      expect(sendTo).toHaveBeenCalledWith('alice', frameNotification(sent), '42', null);
    });

    it('frames the wire JSON it is given, not a new serialization', () => {
      const { router, sendTo } = setup();
      router.deliver(notification('alice'), '{"as":"published"}');
      expect(sendTo.mock.calls[0][1]).toBe(
        'id: 42\nevent: message.created\ndata: {"as":"published"}\n\n',
      );
    });

    it("adds the recipient's new unread count to the same write, or alone if it is dropped", () => {
      const { router, sendTo } = setup({ alice: COUNT });
      const sent = notification('alice');
      router.deliver(sent, JSON.stringify(sent));
      expect(sendTo).toHaveBeenCalledWith('alice', frameNotification(sent) + COUNT, '42', COUNT);
    });

    it('moves the unread counts before it reads them', () => {
      const { router, calls } = setup();
      const sent = notification('alice');
      router.deliver(sent, JSON.stringify(sent));
      expect(calls).toEqual(['advance', 'frameAfter alice 42']);
    });

    it('sends nothing to actors about their own action', () => {
      const { router, sendTo, sendToAll, delivered } = setup();
      const sent = notification('alice', 'alice');
      router.deliver(sent, JSON.stringify(sent));
      expect(sendTo).not.toHaveBeenCalled();
      expect(sendToAll).not.toHaveBeenCalled();
      expect(delivered).toHaveBeenCalledWith(0, expect.any(Number));
    });

    it('counts the streams reached in the deliveries metric', () => {
      const { router, delivered } = setup();
      const sent = notification('alice');
      router.deliver(sent, JSON.stringify(sent));
      expect(delivered).toHaveBeenCalledWith(2, expect.any(Number));
    });

    it("hands a broadcast to every stream but the actor's", () => {
      const alice = connection('alice');
      const carol = connection('carol');
      const { router, sendToAll, delivered } = setup({}, [alice.connection, carol.connection]);
      const sent = notification(BROADCAST, 'carol');
      router.deliver(sent, JSON.stringify(sent));
      expect(sendToAll).toHaveBeenCalledWith(expect.any(Function), 'carol');
      expect(alice.send).toHaveBeenCalledTimes(1);
      expect(carol.send).not.toHaveBeenCalled();
      expect(delivered).toHaveBeenCalledWith(1, expect.any(Number));
    });

    it("adds each stream's own unread count to a broadcast, in one write", () => {
      const alice = connection('alice');
      const bob = connection('bob');
      const { router } = setup({ alice: COUNT }, [alice.connection, bob.connection]);
      const sent = notification(BROADCAST);
      const frame = frameNotification(sent);
      router.deliver(sent, JSON.stringify(sent));
      const [[aliceChunk, ...aliceRest]] = alice.send.mock.calls;
      expect([String(aliceChunk), ...aliceRest]).toEqual([frame + COUNT, '42', COUNT]);
      // No count moved: nothing to offer in place of a dropped frame.
      const [[bobChunk, ...bobRest]] = bob.send.mock.calls;
      expect([String(bobChunk), ...bobRest]).toEqual([frame, '42']);
    });

    it("moves each reached user's count as the broadcast reaches their stream", () => {
      const streams = ['alice', 'bob'].map(connection);
      const { router, calls } = setup(
        {},
        streams.map((stream) => stream.connection),
      );
      router.deliver(notification(BROADCAST), '{}');
      expect(calls).toEqual(['advance', 'frameForBroadcast alice 42', 'frameForBroadcast bob 42']);
    });

    it('encodes each frame-and-count combination once per broadcast', () => {
      const streams = ['alice', 'alice', 'bob', 'dave', 'erin'].map(connection);
      const { router } = setup(
        { alice: COUNT, bob: COUNT },
        streams.map((stream) => stream.connection),
      );
      const sent = notification(BROADCAST);
      router.deliver(sent, JSON.stringify(sent));
      const chunks = streams.map((stream) => stream.send.mock.calls[0][0]);
      expect(chunks[0]).toBeInstanceOf(Buffer);
      expect(chunks[1]).toBe(chunks[0]);
      expect(chunks[2]).toBe(chunks[0]);
      expect(chunks[3]).toBeInstanceOf(Buffer);
      expect(chunks[4]).toBe(chunks[3]);
      expect(chunks[3]).not.toBe(chunks[0]);
    });
  });
});
