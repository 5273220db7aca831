import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request being handled, carried through its async work, so that a line logged
 * by any Nest `Logger` while serving it carries its request id without every
 * service having to pass the id along.
 */
const requests = new AsyncLocalStorage<{ requestId: string }>();

export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return requests.run({ requestId }, work);
}

/** The id of the request being handled here, if any. */
export function currentRequestId(): string | undefined {
  return requests.getStore()?.requestId;
}
