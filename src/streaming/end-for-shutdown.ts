import { withinDeadline } from '../within-deadline.js';
import type { CloseReason } from './sse-connection.js';

/**
 * How long a shutdown waits for ended streams to hand their last bytes to the kernel.
 * A client that reads sees its stream complete in a few milliseconds; one that stopped
 * reading never would, and the whole shutdown has 10 s (CONTRACT.md, "Operations").
 */
export const SHUTDOWN_FLUSH_MS = 3000;

/**
 * Ends streams as the server shuts down and waits until each response is complete (the
 * chunked encoding's last chunk, the gzip trailer) or gone, for at most `flushMs`. Nest
 * destroys the remaining sockets right after the shutdown hooks, and a socket destroyed
 * before its response was flushed is a broken stream to the client (curl exits 18,
 * Chromium reports ERR_INCOMPLETE_CHUNKED_ENCODING), not one that ended.
 */
export async function endForShutdown(
  connections: Iterable<{ endAndFlush(reason: CloseReason): Promise<void> }>,
  flushMs = SHUTDOWN_FLUSH_MS,
): Promise<void> {
  const ended = Promise.all(
    [...connections].map((connection) => connection.endAndFlush('shutdown')),
  );
  await withinDeadline(ended, flushMs, () => undefined);
}
