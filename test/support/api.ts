import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import type { Workflow } from '../../src/workflows/workflow.js';
import { sleep } from './wait.js';
import { bearer, token } from './tokens.js';

/**
 * The service's HTTP API as the tests' clients call it. Each call expects the answer a
 * valid request gets, so a test fails at the call that went wrong. `on` is a base URL or
 * anything with one (a TestApp, an Instance).
 */
export type Target = string | { url: string };

const urlOf = (on: Target) => (typeof on === 'string' ? on : on.url);

/** The token of the service that publishes unless a test names another. */
export const SERVICE_TOKEN = token('svc', { roles: ['service'] });

export interface PublishOptions {
  /** The publisher's token; {@link SERVICE_TOKEN} by default. */
  by?: string;
  /** The notification type; `test.ping` by default. */
  type?: string;
}

/** POST /notifications (201): resolves with the notifications stored, one per recipient. */
export async function publish(
  on: Target,
  recipients: string[] | '*',
  title: string,
  { by = SERVICE_TOKEN, type = 'test.ping' }: PublishOptions = {},
): Promise<Notification[]> {
  const response = await request(urlOf(on))
    .post('/notifications')
    .set(bearer(by))
    .send({ recipients, type, title })
    .expect(201);
  return (response.body as { items: Notification[] }).items;
}

/** POST /messages (201) from user `from` to the users `to`. */
export async function sendMessage(
  on: Target,
  from: string,
  to: string[],
  text: string,
): Promise<void> {
  await request(urlOf(on))
    .post('/messages')
    .set(bearer(token(from)))
    .send({ text, to })
    .expect(201);
}

/** POST /workflows (201) by user `starter`: resolves with the workflow started. */
export async function startWorkflow(
  on: Target,
  starter: string,
  body: { name: string; approvers?: string[] },
): Promise<Workflow> {
  const response = await request(urlOf(on))
    .post('/workflows')
    .set(bearer(token(starter)))
    .send(body)
    .expect(201);
  return response.body as Workflow;
}

/** POST /notifications/tickets (201) with `userToken`: resolves with the stream ticket. */
export async function mintTicket(on: Target, userToken: string): Promise<string> {
  const response = await request(urlOf(on))
    .post('/notifications/tickets')
    .set(bearer(userToken))
    .expect(201);
  return (response.body as { ticket: string }).ticket;
}

/** Polls a GET of `path` until it answers `status`, or fails naming the last answer. */
export async function untilStatus(
  on: Target,
  path: string,
  status: number,
  timeoutMs = 10000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while ((last = (await request(urlOf(on)).get(path)).status) !== status) {
    if (Date.now() > deadline) throw new Error(`${path} answered ${last}, not ${status}`);
    await sleep(100);
  }
}

/** GET /notifications/unread-count (200) as `user`: their count. */
export async function unreadCount(on: Target, user: string): Promise<number> {
  const response = await request(urlOf(on))
    .get('/notifications/unread-count')
    .set(bearer(token(user)))
    .expect(200);
  return (response.body as { count: number }).count;
}
