import { asError } from '../../as-error.js';

/**
 * better-sqlite3 is synchronous and throws; callers of the async store ports expect
 * a failure (a locked file, a full disk) as a rejected promise instead.
 */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(asError(error));
  }
}
