import type { Api } from '../api.js';
import { ResilientStream, type Transport } from '../resilient-stream.js';
import { byId, element } from './dom.js';

/** The one shared document of the demo. */
const DOCUMENT_ID = 'demo-document';
/** Positions are sent in thousandths of the area, so screens of any size agree. */
const SCALE = 1000;
/** At most one move this often: the service coalesces to 50 ms anyway. */
const MOVE_EVERY_MS = 50;

interface Position {
  userId: string;
  x: number;
  y: number;
}

/**
 * A shared document where everyone who joined sees the others' pointers move live
 * (presence: ephemeral, never in the inbox). Joining opens the presence stream; the
 * pointer's moves are posted, at most every 50 ms.
 */
export class PresenceView {
  private stream: ResilientStream | null = null;
  private readonly area = byId('document');
  private readonly toggle = byId<HTMLButtonElement>('document-toggle');
  private readonly state = byId('document-state');
  private readonly cursors = new Map<string, HTMLElement>();
  private pending: { x: number; y: number } | null = null;
  private sending = false;
  private scheduled = false;
  private lastSent = 0;

  constructor(
    private readonly api: Api,
    private readonly transport: Transport,
    private readonly getToken: () => Promise<string>,
  ) {
    this.toggle.addEventListener('click', () => (this.stream ? this.leave() : this.join()));
    this.area.addEventListener('pointermove', (event) => this.pointerMoved(event));
  }

  private join(): void {
    this.toggle.textContent = 'Leave';
    this.toggle.setAttribute('aria-pressed', 'true');
    this.area.dataset.joined = 'true';
    this.stream = new ResilientStream({
      baseUrl: '',
      path: `/documents/${DOCUMENT_ID}/presence/stream`,
      transport: this.transport,
      getToken: this.getToken,
      events: ['snapshot', 'join', 'move', 'leave'],
      onState: (state) => {
        this.state.textContent =
          state.status === 'live'
            ? 'Joined: move your pointer over the document.'
            : state.status === 'stopped'
              ? 'Not joined.'
              : 'Connecting…';
      },
      onEvent: (type, data) => this.apply(type, JSON.parse(data) as Record<string, unknown>),
    });
    this.stream.start();
  }

  private leave(): void {
    this.stream?.stop();
    this.stream = null;
    this.toggle.textContent = 'Join';
    this.toggle.setAttribute('aria-pressed', 'false');
    this.area.dataset.joined = 'false';
    for (const cursor of this.cursors.values()) cursor.remove();
    this.cursors.clear();
  }

  private apply(type: string, data: Record<string, unknown>): void {
    if (type === 'snapshot') {
      for (const cursor of this.cursors.values()) cursor.remove();
      this.cursors.clear();
      for (const user of data.users as Position[]) this.place(user);
    } else if (type === 'move') {
      this.place(data as unknown as Position);
    } else if (type === 'leave') {
      this.cursors.get(String(data.userId))?.remove();
      this.cursors.delete(String(data.userId));
    }
  }

  /** Shows another user's pointer (positions are clamped: they come from other screens). */
  private place({ userId, x, y }: Position): void {
    let cursor = this.cursors.get(userId);
    if (!cursor) {
      cursor = element('span', 'cursor', userId);
      cursor.dataset.user = userId;
      this.cursors.set(userId, cursor);
      this.area.append(cursor);
    }
    const clamp = (value: number) => Math.min(100, Math.max(0, (value / SCALE) * 100));
    cursor.style.left = `${clamp(x)}%`;
    cursor.style.top = `${clamp(y)}%`;
  }

  private pointerMoved(event: PointerEvent): void {
    if (!this.stream) return;
    const box = this.area.getBoundingClientRect();
    this.pending = {
      x: Math.round(((event.clientX - box.left) / box.width) * SCALE),
      y: Math.round(((event.clientY - box.top) / box.height) * SCALE),
    };
    void this.flush();
  }

  /** One request in flight at most; the newest position wins. */
  private async flush(): Promise<void> {
    if (this.sending || !this.pending) return;
    const wait = this.lastSent + MOVE_EVERY_MS - Date.now();
    if (wait > 0) {
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(() => {
          this.scheduled = false;
          void this.flush();
        }, wait);
      }
      return;
    }
    const position = this.pending;
    this.pending = null;
    this.sending = true;
    this.lastSent = Date.now();
    try {
      await this.api.post(`/documents/${DOCUMENT_ID}/presence`, position);
    } catch {
      // A lost move is harmless: the next one carries the newest position.
    } finally {
      this.sending = false;
    }
    void this.flush();
  }
}
