import { describe, expect, it, jest } from '@jest/globals';
import type { ResumableStream } from './resumable-stream.js';
import { StreamRegistry } from './stream-registry.js';

/** A connection stand-in that records its frames and counts how often it was touched. */
function fakeConnection(userId: string) {
  const frames: string[] = [];
  const connection = {
    userId,
    id: userId,
    send: jest.fn((frame: string) => frames.push(frame)),
    endAndFlush: jest.fn(() => Promise.resolve()),
  };
  return { connection: connection as unknown as ResumableStream, frames, send: connection.send };
}

describe(StreamRegistry.name, () => {
  describe('sendTo', () => {
    it('writes to every stream of that user and no other', () => {
      const registry = new StreamRegistry('notifications');
      const tab1 = fakeConnection('alice');
      const tab2 = fakeConnection('alice');
      const bob = fakeConnection('bob');
      [tab1, tab2, bob].forEach(({ connection }) => registry.add(connection));
      registry.sendTo('alice', 'F', '1');
      expect(tab1.frames).toEqual(['F']);
      expect(tab2.frames).toEqual(['F']);
      expect(bob.frames).toEqual([]);
    });

    it('touches no other stream, however many users are connected (keyed routing)', () => {
      const registry = new StreamRegistry('notifications');
      const others = Array.from({ length: 10_000 }, (_, i) => fakeConnection(`user-${i}`));
      others.forEach(({ connection }) => registry.add(connection));
      const target = fakeConnection('target');
      registry.add(target.connection);
      registry.sendTo('target', 'F');
      expect(target.send).toHaveBeenCalledTimes(1);
      expect(others.filter(({ send }) => send.mock.calls.length > 0)).toEqual([]);
    });

    it('does nothing for a user with no stream', () => {
      const registry = new StreamRegistry('notifications');
      expect(() => registry.sendTo('nobody', 'F')).not.toThrow();
      expect(registry.userCount).toBe(0);
    });
  });

  describe('sendToAll', () => {
    it('writes to every stream but those of the excepted user', () => {
      const registry = new StreamRegistry('notifications');
      const actor = fakeConnection('actor');
      const a = fakeConnection('a');
      const b = fakeConnection('b');
      [actor, a, b].forEach(({ connection }) => registry.add(connection));
      registry.sendToAll(
        (connection) => connection.send(`B for ${connection.userId}`, '7'),
        'actor',
      );
      expect([actor.frames, a.frames, b.frames]).toEqual([[], ['B for a'], ['B for b']]);
    });
  });

  describe('remove', () => {
    it('drops the user entry with the last stream of that user', () => {
      const registry = new StreamRegistry('notifications');
      const tab1 = fakeConnection('alice');
      const tab2 = fakeConnection('alice');
      registry.add(tab1.connection);
      registry.add(tab2.connection);
      registry.remove(tab1.connection);
      expect([registry.countFor('alice'), registry.userCount, registry.size]).toEqual([1, 1, 1]);
      registry.remove(tab2.connection);
      expect([registry.countFor('alice'), registry.userCount, registry.size]).toEqual([0, 0, 0]);
    });
  });

  describe('endAll', () => {
    it('ends every stream as a shutdown and waits for their responses to complete', async () => {
      const registry = new StreamRegistry('notifications');
      const streams = [fakeConnection('a'), fakeConnection('b')];
      streams.forEach(({ connection }) => registry.add(connection));
      await registry.endAll();
      for (const { connection } of streams) {
        expect(connection.endAndFlush).toHaveBeenCalledTimes(1);
        expect(connection.endAndFlush).toHaveBeenCalledWith('shutdown');
      }
    });
  });

  describe('countFor', () => {
    it('counts the streams of one id, or of one user under it (tabs on a document)', () => {
      const registry = new StreamRegistry('presence');
      const fake = (userId: string) => {
        const { connection } = fakeConnection(userId);
        return Object.assign(connection, { id: 'doc' });
      };
      [fake('alice'), fake('alice'), fake('bob')].forEach((stream) => registry.add(stream));
      expect(registry.countFor('doc')).toBe(3);
      expect(registry.countFor('doc', 'alice')).toBe(2);
      expect(registry.countFor('doc', 'carol')).toBe(0);
      expect(registry.userCount).toBe(2);
    });
  });
});
