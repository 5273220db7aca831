import { EventSource } from 'eventsource';
import { BUILT_IN_NOTIFICATION_TYPES } from '../../src/notifications/notification.js';
import { eventually } from './wait.js';

export interface ReceivedEvent {
  type: string;
  data: string;
  lastEventId: string;
}

export type TokenPlace = 'header' | 'query' | 'cookie';

/** Every client not yet closed: a failed test must not leave one reconnecting forever. */
const openClients = new Set<StreamClient>();

/** Closes every client the tests opened; call it in afterEach. */
export function closeAllClients(): void {
  for (const client of openClients) client.close();
}

/**
 * A real EventSource client (the `eventsource` package, WHATWG-conformant) that
 * records every event it receives, named or not.
 */
export class StreamClient {
  /** Everything received, notifications and control events, in order. */
  readonly received: ReceivedEvent[] = [];
  readonly errors: { code?: number; message?: string }[] = [];
  private readonly source: EventSource;
  private opened = false;

  constructor(
    baseUrl: string,
    jwtToken: string,
    options: {
      place?: TokenPlace;
      path?: string;
      types?: string[];
      lastEventId?: string;
    } = {},
  ) {
    const { place = 'header', path = '/notifications/stream', types = [] } = options;
    const url = new URL(path, baseUrl);
    if (place === 'query') url.searchParams.set('access_token', jwtToken);
    this.source = new EventSource(url, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: {
            ...init?.headers,
            ...(place === 'header' ? { Authorization: `Bearer ${jwtToken}` } : {}),
            ...(place === 'cookie' ? { Cookie: `access_token=${jwtToken}` } : {}),
            ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}),
          },
        }),
    });
    openClients.add(this);
    this.source.addEventListener('open', () => {
      this.opened = true;
    });
    this.source.addEventListener('error', (error) => {
      this.errors.push({ code: error.code, message: error.message });
    });
    const record = (event: { type: string; data: string; lastEventId: string }) =>
      this.received.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
    this.source.addEventListener('message', record);
    for (const type of new Set([...types, ...DEFAULT_TYPES])) {
      this.source.addEventListener(type, record);
    }
  }

  /** Resolves once the stream answered 200 and is open. */
  async ready(): Promise<this> {
    await eventually(() => this.opened, 'the stream to open');
    return this;
  }

  get readyState(): number {
    return this.source.readyState;
  }

  /** The notifications received (control events left out). */
  get events(): ReceivedEvent[] {
    return this.received.filter((event) => !CONTROL_TYPES.includes(event.type));
  }

  /** The control events received: unread-count, token-expiring, reset (types, preferences if listened to). */
  get controls(): ReceivedEvent[] {
    return this.received.filter((event) => CONTROL_TYPES.includes(event.type));
  }

  /** Events of these types (all notifications when none is named), data parsed as JSON. */
  payloads<T = Record<string, unknown>>(...types: string[]): T[] {
    const source = types.length === 0 ? this.events : this.received;
    return source
      .filter((event) => types.length === 0 || types.includes(event.type))
      .map((event) => JSON.parse(event.data) as T);
  }

  /** The cursors of the notifications received, in order. */
  get cursors(): string[] {
    return this.events.map((event) => event.lastEventId);
  }

  async waitForEvents(count: number, what = `${count} event(s)`): Promise<ReceivedEvent[]> {
    await eventually(() => this.events.length >= count, what);
    return this.events;
  }

  close(): void {
    this.source.close();
    openClients.delete(this);
  }
}

/** The control events a client listens to unless asked for more (`types` option). */
const LISTENED_CONTROL_TYPES = ['unread-count', 'token-expiring', 'reset'];
/** Every control event of a notification stream: never counted among the notifications. */
const CONTROL_TYPES = [...LISTENED_CONTROL_TYPES, 'types', 'preferences'];

/** Every event type the service sends (notifications and control events), and the tests' own. */
const DEFAULT_TYPES = ['test.ping', ...BUILT_IN_NOTIFICATION_TYPES, ...LISTENED_CONTROL_TYPES];

/** Opens a stream per token and waits until all are live. */
export async function openStreams(baseUrl: string, ...tokens: string[]): Promise<StreamClient[]> {
  return Promise.all(tokens.map((jwtToken) => new StreamClient(baseUrl, jwtToken).ready()));
}
