/**
 * The browser client for the notification hub (the `@notification-hub/client` package).
 *
 *   const client = new NotificationClient({ channel: `hub:${userId}`, getToken });
 *   client.on('notification', (n) => showToast(n));
 *   client.on('unread', (count) => setBadge(count));
 *   client.on('state', (state) => showConnection(state));
 *   client.on('reset', () => reloadInbox());
 *   client.start();
 *   const { items, nextBefore } = await client.inbox.list({ unread: true });
 *
 * - One stream per browser: the tabs sharing `channel` elect a leader (see tab-leader.ts),
 *   which alone holds the stream and relays every event to the others; when it closes,
 *   another tab takes over, resuming after the last cursor any tab saw.
 * - Lossless: every (re)connection resumes after the last cursor; a cursor the service
 *   cannot honour gives `reset` (reload the inbox). The one moment without a cursor, a
 *   user with no notification yet, is covered by reading the inbox once the stream is open.
 * - `token-expiring`: reconnects at once with a fresh token from `getToken` (or ticket).
 * - `unread`: the service's `unread-count`, the same in every tab.
 * - `reconnectNow()`: "Retry now" from any tab, skipping the backoff's wait.
 * - Every type: the stream's `types` event lists every notification type the service
 *   knows, and again when a new one appears; the client listens to each, so types other
 *   services invent reach `notification` listeners with no configuration.
 */
import {
  BUILT_IN_NOTIFICATION_TYPES,
  type Notification,
  type NotificationStreamControlEvents,
  type Preferences,
} from './protocol.js';
import { ResilientStream, type StreamState, type Transport } from './resilient-stream.js';
import { HubRequests, type InboxApi, type PreferencesApi } from './rest.js';
import { electLeader, type ElectionMode, type TabLeader } from './tab-leader.js';

export type { StreamState, Transport } from './resilient-stream.js';
export type { ElectionMode } from './tab-leader.js';

/** The stream's state, and whether this tab holds it (`leader`) or follows another tab's. */
export type ConnectionState = StreamState & { leader: boolean };

/**
 * The service's own notification types, listened to from the start (also with a service
 * too old to send `types`); every other type is added as the stream announces it.
 */
export const NOTIFICATION_TYPES = BUILT_IN_NOTIFICATION_TYPES;

export interface NotificationClientOptions {
  /** A valid token, asked before every connection: return a refreshed one when you can. */
  getToken(): Promise<string>;
  /** Tabs sharing this name share one stream: make it unique per user. */
  channel: string;
  /** The service's origin; default: the page's. */
  baseUrl?: string;
  /** Default `polyfill` (the token in a header); `native` uses a ticket. */
  transport?: Transport;
  /**
   * Types to listen to from the start, besides every type the stream's `types` event
   * announces; default {@link NOTIFICATION_TYPES}. Rarely needed.
   */
  types?: readonly string[];
  election?: ElectionMode;
}

/** What `on(event, listener)` hands each listener. */
export interface NotificationClientEvents {
  notification: Notification;
  /** The unread count, the same in every tab. */
  unread: number;
  state: ConnectionState;
  /** The stream could not resume: reload what the inbox shows. */
  reset: null;
  /** Every notification type the service knows, sorted (the stream's `types`). */
  types: string[];
  /** The user's preferences, whenever they change (in any tab or device). */
  preferences: Preferences;
}

type Events = NotificationClientEvents;

/** What the leader tells its followers. */
type RelayMessage =
  | { kind: 'notification'; notification: Notification }
  | { kind: 'unread'; count: number }
  | { kind: 'state'; state: StreamState }
  | { kind: 'reset'; cursor: string | null }
  | { kind: 'types'; types: string[] }
  | { kind: 'preferences'; preferences: Preferences }
  | { kind: 'hello' }
  /** A follower asks the leader to skip the wait and reconnect now. */
  | { kind: 'reconnect' }
  | {
      kind: 'sync';
      cursor: string | null;
      noHistory: boolean;
      unread: number | null;
      state: StreamState;
      types: string[] | null;
      preferences: Preferences | null;
    };

type Control<K extends keyof NotificationStreamControlEvents> = NotificationStreamControlEvents[K];

/** The control events this client handles (`token-expiring` is the stream's own business). */
const CONTROL_EVENTS = ['unread-count', 'reset', 'types', 'preferences'] as const;

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
  private knownTypes: string[] | null = null;
  private lastPreferences: Preferences | null = null;
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
    types: new Set(),
    preferences: new Set(),
  };
  private readonly requests: HubRequests;
  /** The inbox over REST, as the user `getToken` signs in: list, read, archive... */
  readonly inbox: InboxApi;
  /** The user's muted types over REST. */
  readonly preferences: PreferencesApi;

  constructor(private readonly options: NotificationClientOptions) {
    this.relay = new BroadcastChannel(`${options.channel}:events`);
    this.leader = electLeader(options.channel, options.election);
    this.requests = new HubRequests(options.getToken, options.baseUrl);
    this.inbox = this.requests.inbox();
    this.preferences = this.requests.preferences();
  }

  /** `GET /notifications/types`: every type the service knows, sorted. */
  types(): Promise<string[]> {
    return this.requests.types();
  }

  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** The types as last announced, or null before the first `types` event. */
  get notificationTypes(): readonly string[] | null {
    return this.knownTypes;
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

  /**
   * Skips the wait: a stream that is not live tries again now, with the same cursor
   * ("Retry now"). In a tab that follows another, the leader tab is asked to. A live
   * stream is left alone.
   */
  reconnectNow(): void {
    if (this.leading) this.retryStream();
    else this.post({ kind: 'reconnect' });
  }

  private retryStream(): void {
    if (this.streamState.status !== 'live') this.stream?.reconnectNow();
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
      events: [...CONTROL_EVENTS, ...(this.options.types ?? NOTIFICATION_TYPES)],
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
      const { count } = JSON.parse(data) as Control<'unread-count'>;
      this.setUnread(count);
      this.post({ kind: 'unread', count });
    } else if (type === 'reset') {
      const { latestId } = JSON.parse(data) as Control<'reset'>;
      this.reset(latestId);
      this.post({ kind: 'reset', cursor: latestId });
    } else if (type === 'types') {
      const { types } = JSON.parse(data) as Control<'types'>;
      // Synchronously, so that the listeners are in place before the stream's next event.
      for (const name of types) this.stream?.listen(name);
      this.setTypes(types);
      this.post({ kind: 'types', types });
    } else if (type === 'preferences') {
      const preferences = JSON.parse(data) as Control<'preferences'>;
      this.setPreferences(preferences);
      this.post({ kind: 'preferences', preferences });
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
      case 'types':
        this.setTypes(message.types);
        break;
      case 'preferences':
        this.setPreferences(message.preferences);
        break;
      case 'state':
        if (!this.leading) this.setState(message.state);
        break;
      case 'reconnect':
        if (this.leading) this.retryStream();
        break;
      case 'hello':
        if (this.leading) {
          this.post({
            kind: 'sync',
            cursor: this.cursor,
            noHistory: this.noHistory,
            unread: this.unread,
            state: this.streamState,
            types: this.knownTypes,
            preferences: this.lastPreferences,
          });
        }
        break;
      case 'sync':
        if (this.leading) break;
        this.cursor ??= message.cursor;
        this.noHistory ||= message.noHistory;
        this.baselineTaken ||= message.cursor !== null || message.noHistory;
        if (message.unread !== null) this.setUnread(message.unread);
        if (message.types !== null) this.setTypes(message.types);
        if (message.preferences !== null) this.setPreferences(message.preferences);
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
      const { items } = await this.inbox.list({ limit });
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

  private setUnread(count: number): void {
    if (count === this.unread) return;
    this.unread = count;
    this.emit('unread', count);
  }

  private setTypes(types: string[]): void {
    if (this.knownTypes && sameList(this.knownTypes, types)) return;
    this.knownTypes = types;
    this.emit('types', types);
  }

  private setPreferences(preferences: Preferences): void {
    this.lastPreferences = preferences;
    this.emit('preferences', preferences);
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

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
