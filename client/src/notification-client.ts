/**
 * A browser client for the notification hub, usable as it is: copy this file with
 * resilient-stream.ts, tab-leader.ts and jwt-claims.ts (plain ES modules).
 *
 *   const client = new NotificationClient({ channel: `hub:${userId}`, getToken });
 *   client.on('notification', (n) => showToast(n));
 *   client.on('unread', (count) => setBadge(count));
 *   client.on('state', (state) => showConnection(state));
 *   client.on('reset', () => reloadInbox());
 *   client.start();
 *
 * - One stream per browser: the tabs sharing `channel` elect a leader (see tab-leader.ts),
 *   which alone holds the stream and relays every event to the others; when it closes,
 *   another tab takes over, resuming after the last cursor any tab saw.
 * - Lossless: every (re)connection resumes after the last cursor; a cursor the service
 *   cannot honour gives `reset` (reload the inbox). The one moment without a cursor, a
 *   user with no notification yet, is covered by reading the inbox once the stream is open.
 * - `token-expiring`: reconnects at once with a fresh token from `getToken` (or ticket).
 * - `unread`: the service's `unread-count`, the same in every tab.
 */
import { ResilientStream, type StreamState, type Transport } from './resilient-stream.js';
import { electLeader, type ElectionMode, type TabLeader } from './tab-leader.js';

export type { StreamState, Transport } from './resilient-stream.js';
export type { ElectionMode } from './tab-leader.js';

/** A notification as the service sends it (CONTRACT.md, "The notification stream"). */
export interface Notification {
  id: string;
  type: string;
  recipient: string;
  actorId: string | null;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/** The stream's state, and whether this tab holds it (`leader`) or follows another tab's. */
export type ConnectionState = StreamState & { leader: boolean };

/** The service's own notification types. EventSource has no wildcard: add your custom ones. */
export const NOTIFICATION_TYPES = [
  'message.created',
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'announcement',
] as const;

export interface NotificationClientOptions {
  /** A valid token, asked before every connection: return a refreshed one when you can. */
  getToken(): Promise<string>;
  /** Tabs sharing this name share one stream: make it unique per user. */
  channel: string;
  /** The service's origin; default: the page's. */
  baseUrl?: string;
  /** Default `polyfill` (the token in a header); `native` uses a ticket. */
  transport?: Transport;
  /** Notification types to receive; default {@link NOTIFICATION_TYPES}. */
  types?: readonly string[];
  election?: ElectionMode;
}

interface Events {
  notification: Notification;
  unread: number;
  state: ConnectionState;
  reset: null;
}

/** What the leader tells its followers. */
type RelayMessage =
  | { kind: 'notification'; notification: Notification }
  | { kind: 'unread'; count: number }
  | { kind: 'state'; state: StreamState }
  | { kind: 'reset'; cursor: string | null }
  | { kind: 'hello' }
  | {
      kind: 'sync';
      cursor: string | null;
      noHistory: boolean;
      unread: number | null;
      state: StreamState;
    };

/** Notification ids a tab remembers having shown, so that no replay or relay shows one twice. */
const REMEMBERED_IDS = 1000;
/** How much of the inbox is read to catch up when there was no cursor. */
const CATCH_UP_PAGE = 50;

export class NotificationClient {
  /** The last notification id seen here or relayed: where the next stream resumes. */
  private cursor: string | null = null;
  /** True when the user had no notification at all when this client looked, and none since. */
  private noHistory = false;
  private baselineTaken = false;
  private readonly seen = new Set<string>();
  private unread: number | null = null;
  private streamState: StreamState = { status: 'connecting' };
  private leading = false;
  private stream: ResilientStream | null = null;
  private readonly relay: BroadcastChannel;
  private readonly leader: TabLeader;
  private readonly listeners: { [K in keyof Events]: Set<(value: Events[K]) => void> } = {
    notification: new Set(),
    unread: new Set(),
    state: new Set(),
    reset: new Set(),
  };

  constructor(private readonly options: NotificationClientOptions) {
    this.relay = new BroadcastChannel(`${options.channel}:events`);
    this.leader = electLeader(options.channel, options.election);
  }

  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** The unread count as last received, or null before the first. */
  get unreadCount(): number | null {
    return this.unread;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.relay.onmessage = (event: MessageEvent<RelayMessage>) => this.fromRelay(event.data);
    this.post({ kind: 'hello' });
    this.emit('state', { ...this.streamState, leader: false });
    this.leader.start((leading) => (leading ? this.lead() : this.follow()));
  }

  stop(): void {
    this.leader.stop();
    this.stream?.stop();
    this.stream = null;
    this.relay.close();
  }

  private lead(): void {
    this.leading = true;
    this.stream = new ResilientStream({
      baseUrl: this.options.baseUrl ?? '',
      path: '/notifications/stream',
      transport: this.options.transport ?? 'polyfill',
      getToken: this.options.getToken,
      events: [...(this.options.types ?? NOTIFICATION_TYPES), 'unread-count', 'reset'],
      onEvent: (type, data) => this.fromStream(type, data),
      onState: (state) => {
        this.setState(state);
        this.post({ kind: 'state', state });
      },
      resumeAfter: () => this.cursor,
      onOpen: () => void this.catchUpWithoutCursor(),
    });
    this.stream.start();
  }

  private follow(): void {
    this.leading = false;
    this.stream?.stop();
    this.stream = null;
  }

  private fromStream(type: string, data: string): void {
    if (type === 'unread-count') {
      const { count } = JSON.parse(data) as { count: number };
      this.setUnread(count);
      this.post({ kind: 'unread', count });
    } else if (type === 'reset') {
      const { latestId } = JSON.parse(data) as { latestId: string | null };
      this.reset(latestId);
      this.post({ kind: 'reset', cursor: latestId });
    } else {
      const notification = JSON.parse(data) as Notification;
      this.deliver(notification);
      this.post({ kind: 'notification', notification });
    }
  }

  private fromRelay(message: RelayMessage): void {
    switch (message.kind) {
      case 'notification':
        this.deliver(message.notification);
        break;
      case 'unread':
        this.setUnread(message.count);
        break;
      case 'reset':
        this.reset(message.cursor);
        break;
      case 'state':
        if (!this.leading) this.setState(message.state);
        break;
      case 'hello':
        if (this.leading) {
          this.post({
            kind: 'sync',
            cursor: this.cursor,
            noHistory: this.noHistory,
            unread: this.unread,
            state: this.streamState,
          });
        }
        break;
      case 'sync':
        if (this.leading) break;
        this.cursor ??= message.cursor;
        this.noHistory ||= message.noHistory;
        this.baselineTaken ||= message.cursor !== null || message.noHistory;
        if (message.unread !== null) this.setUnread(message.unread);
        this.setState(message.state);
        break;
    }
  }

  private deliver(notification: Notification): void {
    this.cursor = notification.id;
    this.noHistory = false;
    this.baselineTaken = true;
    if (this.seen.has(notification.id)) return;
    this.seen.add(notification.id);
    if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value!);
    this.emit('notification', notification);
  }

  /** The service could not resume: it starts afresh after the user's latest cursor. */
  private reset(latestId: string | null): void {
    this.cursor = latestId;
    this.noHistory = latestId === null;
    this.baselineTaken = true;
    this.emit('reset', null);
  }

  /**
   * A stream opened without a cursor. The first time, the inbox's newest id becomes the
   * cursor (what came before is history, not news). When the user had no notification
   * at all, every notification now in the inbox arrived since: delivered, oldest first,
   * those no tab has shown (a leader that closed before relaying them, say).
   */
  private async catchUpWithoutCursor(): Promise<void> {
    if (this.cursor !== null) return;
    const firstLook = !this.baselineTaken;
    try {
      const limit = firstLook ? 1 : CATCH_UP_PAGE;
      const items = await this.inbox(limit);
      if (this.cursor !== null) return;
      this.baselineTaken = true;
      if (firstLook) {
        this.cursor = items[0]?.id ?? null;
        this.noHistory = items.length === 0;
      } else if (this.noHistory) {
        for (const notification of items.reverse()) {
          this.deliver(notification);
          this.post({ kind: 'notification', notification });
        }
      }
    } catch {
      // Unreachable: the next connection tries again.
    }
  }

  private async inbox(limit: number): Promise<Notification[]> {
    const url = new URL(`/notifications?limit=${limit}`, this.options.baseUrl || location.href);
    const token = await this.options.getToken();
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`Inbox: ${response.status}`);
    return ((await response.json()) as { items: Notification[] }).items;
  }

  private setUnread(count: number): void {
    if (count === this.unread) return;
    this.unread = count;
    this.emit('unread', count);
  }

  private setState(state: StreamState): void {
    this.streamState = state;
    this.emit('state', { ...state, leader: this.leading });
  }

  private post(message: RelayMessage): void {
    this.relay.postMessage(message);
  }

  private emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of this.listeners[event]) listener(value);
  }
}
