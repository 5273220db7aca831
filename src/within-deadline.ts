import { asError } from './as-error.js';

/**
 * `promise`, or what `onTimeout` returns (or throws) if it has not settled within `ms`.
 * The timer is cleared either way, so a settled wait leaves nothing behind.
 */
export async function withinDeadline<T, U>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => U,
): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(asError(error));
      }
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
