import type { InboxPage, Preferences } from './protocol.js';

/**
 * A request the service refused (`status` 4xx/5xx, `message` the service's own, which
 * names the problem) or could not answer (`status` 0: unreachable, offline).
 */
export class NotificationHubError extends Error {
  override readonly name = 'NotificationHubError';

  constructor(
    readonly status: number,
    message: string,
    /** The answer's JSON body, when there was one. */
    readonly body: unknown = null,
  ) {
    super(message);
  }

  /** True when no answer came at all (network down, service stopped). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** `GET /notifications`: every field optional, all combined. */
export interface InboxListOptions {
  /** Only unread notifications. */
  unread?: boolean;
  /** true: only archived ones; default: archived ones are left out. */
  archived?: boolean;
  /** Only these types. */
  types?: readonly string[];
  /** 1–100; the service's default is 50. */
  limit?: number;
  /** Older than this cursor: the previous page's `nextBefore`. */
  before?: string | null;
}

/** The inbox over REST (CONTRACT.md, "The inbox"), as the signed-in user. */
export interface InboxApi {
  /** One page, newest first; pass `nextBefore` as `before` for the next one. */
  list(options?: InboxListOptions): Promise<InboxPage>;
  read(id: string): Promise<void>;
  unread(id: string): Promise<void>;
  /** Archiving also marks it read. */
  archive(id: string): Promise<void>;
  unarchive(id: string): Promise<void>;
  readAll(): Promise<void>;
  unreadCount(): Promise<number>;
}

export interface PreferencesApi {
  get(): Promise<Preferences>;
  /** Merges, e.g. `{ 'invoice.paid': false }` to mute a type; answers the whole object. */
  set(types: Record<string, boolean>): Promise<Preferences>;
}

/** JSON requests to the service with a fresh token each time. */
export class HubRequests {
  constructor(
    private readonly getToken: () => Promise<string>,
    /** The service's origin; '' or undefined for the page's own. */
    private readonly baseUrl = '',
  ) {}

  async request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await this.getToken()}`,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl || location.href), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new NotificationHubError(0, 'The notification service cannot be reached');
    }
    if (response.status === 204) return undefined as T;
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok)
      throw new NotificationHubError(response.status, messageOf(payload, response), payload);
    return payload as T;
  }

  inbox(): InboxApi {
    const post = (path: string) => this.request<void>('POST', path);
    const item = (id: string, action: string) =>
      post(`/notifications/${encodeURIComponent(id)}/${action}`);
    return {
      list: (options = {}) =>
        this.request<InboxPage>('GET', `/notifications${inboxQuery(options)}`),
      read: (id) => item(id, 'read'),
      unread: (id) => item(id, 'unread'),
      archive: (id) => item(id, 'archive'),
      unarchive: (id) => item(id, 'unarchive'),
      readAll: () => post('/notifications/read-all'),
      unreadCount: async () =>
        (await this.request<{ count: number }>('GET', '/notifications/unread-count')).count,
    };
  }

  preferences(): PreferencesApi {
    return {
      get: () => this.request<Preferences>('GET', '/notifications/preferences'),
      set: (types) => this.request<Preferences>('PUT', '/notifications/preferences', { types }),
    };
  }

  async types(): Promise<string[]> {
    return (await this.request<{ types: string[] }>('GET', '/notifications/types')).types;
  }
}

function inboxQuery({ unread, archived, types, limit, before }: InboxListOptions): string {
  const query = new URLSearchParams();
  if (unread) query.set('unread', 'true');
  if (archived) query.set('archived', 'true');
  if (types && types.length > 0) query.set('type', types.join(','));
  if (limit !== undefined) query.set('limit', String(limit));
  if (before) query.set('before', before);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The service's `message` (a string, or a list of validation messages), else the status text. */
function messageOf(payload: unknown, response: Response): string {
  const message = (payload as { message?: unknown } | null)?.message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return response.statusText || `HTTP ${response.status}`;
}
