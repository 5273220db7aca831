/**
 * Chooses, among the tabs of one browser that share a name, the one tab that holds the
 * stream. The others are followers: the leader relays every event to them over a
 * BroadcastChannel. Six tabs then hold one connection, not six (a browser allows six
 * per host over HTTP/1.1, and a seventh request would wait).
 *
 * - `locks`: the Web Locks API. The leader is the tab holding a lock; when it closes or
 *   crashes the browser hands the lock to the next waiting tab at once, and hidden tabs
 *   need no timers (which browsers throttle). Needs a secure context (https, localhost).
 * - `broadcast`: heartbeats over a BroadcastChannel, for where Web Locks are missing (a
 *   page served over plain http to a phone on the LAN). The leader announces itself
 *   every second; a tab that hears nothing for 3.5 s takes over; of two leaders, the
 *   older tab wins; a leader that closes says so, and another takes over at once.
 * - `auto` (default): `locks` where available, else `broadcast`.
 */
export type ElectionMode = 'auto' | 'locks' | 'broadcast';

export interface TabLeader {
  /** `onChange(true)` when this tab becomes the leader, `onChange(false)` when it stops. */
  start(onChange: (leading: boolean) => void): void;
  /** Leaves the election (sign-out, page hidden for good); hands leadership on. */
  stop(): void;
}

export function electLeader(name: string, mode: ElectionMode = 'auto'): TabLeader {
  const locks = 'locks' in navigator ? navigator.locks : undefined;
  if (mode === 'locks' || (mode === 'auto' && locks)) {
    if (!locks) throw new Error('Web Locks are not available here (they need https or localhost)');
    return new LockLeader(name, locks);
  }
  return new BroadcastLeader(name);
}

class LockLeader implements TabLeader {
  private readonly abort = new AbortController();
  private release: (() => void) | null = null;
  private onChange: (leading: boolean) => void = () => undefined;

  constructor(
    private readonly name: string,
    private readonly locks: LockManager,
  ) {}

  start(onChange: (leading: boolean) => void): void {
    this.onChange = onChange;
    // Waits in the browser's queue for the lock; holds it until released or the tab goes.
    this.locks
      .request(`${this.name}:leader`, { signal: this.abort.signal }, () => {
        if (this.abort.signal.aborted) return Promise.resolve();
        return new Promise<void>((release) => {
          this.release = release;
          onChange(true);
        });
      })
      // AbortError: stopped while still waiting.
      .catch(() => undefined);
  }

  stop(): void {
    this.abort.abort();
    if (this.release) {
      this.release();
      this.release = null;
      this.onChange(false);
    }
  }
}

const HEARTBEAT_MS = 1000;
const LEADER_TIMEOUT_MS = 3500;
/** How long a new tab listens for a leader before claiming the role. */
const FIRST_LISTEN_MS = 300;
const TICK_MS = 250;

type ElectionMessage =
  { type: 'heartbeat'; id: string } | { type: 'who' } | { type: 'resign'; id: string };

class BroadcastLeader implements TabLeader {
  /** Older tabs sort first: a tab's id starts with when it joined. */
  private readonly id = `${Date.now().toString(36).padStart(10, '0')}-${Math.random().toString(36).slice(2)}`;
  private readonly channel: BroadcastChannel;
  private leading = false;
  private lastHeard = 0;
  /** The id in the last heartbeat heard: the leader as far as this tab knows. */
  private heardFrom: string | null = null;
  private lastSent = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private onChange: (leading: boolean) => void = () => undefined;
  private readonly onPageHide = () => this.stop();

  constructor(name: string) {
    this.channel = new BroadcastChannel(`${name}:election`);
  }

  start(onChange: (leading: boolean) => void): void {
    this.onChange = onChange;
    this.channel.onmessage = (event: MessageEvent<ElectionMessage>) => this.receive(event.data);
    this.channel.postMessage({ type: 'who' } satisfies ElectionMessage);
    // Pretend the last heartbeat was just long enough ago that a silent channel is claimed soon.
    this.lastHeard = Date.now() - LEADER_TIMEOUT_MS + FIRST_LISTEN_MS;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    window.addEventListener('pagehide', this.onPageHide);
  }

  stop(): void {
    clearInterval(this.timer);
    window.removeEventListener('pagehide', this.onPageHide);
    if (this.leading) {
      this.channel.postMessage({ type: 'resign', id: this.id } satisfies ElectionMessage);
      this.setLeading(false);
    }
    this.channel.close();
  }

  private tick(): void {
    if (this.leading) {
      if (Date.now() - this.lastSent >= HEARTBEAT_MS) this.heartbeat();
    } else if (Date.now() - this.lastHeard > LEADER_TIMEOUT_MS) this.claim();
  }

  private receive(message: ElectionMessage): void {
    switch (message.type) {
      case 'who':
        if (this.leading) this.heartbeat();
        break;
      case 'heartbeat':
        if (this.leading && message.id < this.id) this.setLeading(false);
        if (!this.leading) {
          this.lastHeard = Date.now();
          this.heardFrom = message.id;
        }
        break;
      case 'resign':
        // Messages from different tabs may arrive in any order: a resignation heard
        // after the successor's first heartbeat is stale, and claiming on it would
        // make a second leader (and open a second stream) for a moment.
        if (message.id !== this.heardFrom) break;
        // Claim after a short random wait, so that usually a single follower does.
        this.lastHeard = Date.now() - LEADER_TIMEOUT_MS + Math.random() * 200;
        break;
    }
  }

  private claim(): void {
    this.setLeading(true);
    this.heartbeat();
  }

  private heartbeat(): void {
    this.lastSent = Date.now();
    this.channel.postMessage({ type: 'heartbeat', id: this.id } satisfies ElectionMessage);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.onChange(leading);
  }
}
