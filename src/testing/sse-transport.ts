import { SseConnection, type SseConnectionOptions } from '../streaming/sse-connection.js';
import { StreamClock } from '../streaming/stream-clock.js';

/** The clock's start in the streaming unit tests (they run on fake timers). */
export const T0 = new Date('2030-01-01T00:00:00.000Z').getTime();

/**
 * A connection of `alice` (heartbeat 1 s, token for 60 s from {@link T0}), not yet open,
 * on a clock of its own (made under the test's fake timers).
 */
export const transport = (overrides: Partial<SseConnectionOptions> = {}) =>
  new SseConnection({
    userId: 'alice',
    retryMs: 3000,
    heartbeatMs: 1000,
    expiresAt: new Date(T0 + 60_000),
    onClose: () => undefined,
    clock: new StreamClock(),
    ...overrides,
  });
