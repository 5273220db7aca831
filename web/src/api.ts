/**
 * The demo page's REST calls beyond what the client package offers (sign-in, workflows,
 * messages, announcements, presence); the inbox, the preferences and the types go
 * through the package's helpers (`client.inbox`, `client.preferences`, `client.types()`).
 * Failures of either kind become a message a person can read ({@link messageOf}): never
 * the browser's raw "Failed to fetch".
 */
import { NotificationHubError } from '@notification-hub/client';

/** A refused or failed request, with a message meant for the person using the page. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the service could not be reached at all. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const UNREACHABLE = "Can't reach the service. Check your connection and try again.";

/** What to tell a person about a failed request: the service's own message for a 4xx. */
function friendlyMessage(status: number, serviceMessage: string | null): string {
  if (status === 401) return 'Your sign-in is no longer valid. Sign out and sign in again.';
  if (status >= 400 && status < 500 && serviceMessage) return serviceMessage;
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The service is having trouble right now. Try again in a moment.';
  return serviceMessage ?? `The request failed (${status}).`;
}

/** The message of any error the page caught, fit to show. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  // The client package's helpers: `message` is the service's own (or the status text).
  if (error instanceof NotificationHubError) {
    return error.unreachable ? UNREACHABLE : friendlyMessage(error.status, error.message);
  }
  if (error instanceof TypeError) return UNREACHABLE;
  return error instanceof Error ? error.message : String(error);
}

/** JSON over fetch to the page's own origin, with the caller's token when there is one. */
export async function callApi<T>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  { token, body }: { token?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    // fetch rejects only when no answer came at all (service down, network gone).
    throw new ApiError(0, UNREACHABLE);
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as { message?: unknown } | null;
  if (!response.ok) {
    const message = Array.isArray(payload?.message)
      ? payload.message.join('; ')
      : typeof payload?.message === 'string'
        ? payload.message
        : null;
    throw new ApiError(response.status, friendlyMessage(response.status, message));
  }
  return payload as T;
}

export interface Workflow {
  id: string;
  name: string;
  starterId: string;
  approvers: string[] | null;
  status: 'pending' | 'approved' | 'rejected' | 'cancelled';
}

/** The caller's view of the API: every call made with a valid token. */
export class Api {
  constructor(private readonly getToken: () => Promise<string>) {}

  async get<T>(path: string): Promise<T> {
    return callApi<T>('GET', path, { token: await this.getToken() });
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return callApi<T>('POST', path, { token: await this.getToken(), body });
  }

  workflow(id: string): Promise<Workflow> {
    return this.get<Workflow>(`/workflows/${encodeURIComponent(id)}`);
  }

  decide(id: string, decision: 'approve' | 'reject'): Promise<Workflow> {
    return this.post<Workflow>(`/workflows/${encodeURIComponent(id)}/${decision}`, {});
  }
}
