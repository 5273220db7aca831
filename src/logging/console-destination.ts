import type { DestinationStream } from 'pino';

/**
 * Where the service's log lines go: stdout as JSON (one object per line, for a log
 * collector), except for a person at a terminal in development, who gets them
 * human-readable through pino-pretty. Chosen once, at start-up; pino-pretty is not even
 * loaded otherwise. Both see the same objects, redaction done (logger.ts).
 */
export async function consoleDestination(
  env: NodeJS.ProcessEnv = process.env,
  stdout: { isTTY?: boolean } = process.stdout,
): Promise<DestinationStream | undefined> {
  if (!stdout.isTTY || env.NODE_ENV === 'production') return undefined;
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    // Written at once: a line logged just before process.exit (a bad configuration) stays.
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    // Nest's `context` before the message, as Nest's own console logger shows it.
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}
