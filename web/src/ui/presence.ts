import type { Api } from '../api.js';
import { ResilientStream, type Transport } from '@notification-hub/client';
import { byId, element } from './dom.js';

/** The one shared document of the demo. */
const DOCUMENT_ID = 'demo-document';
/** Positions are sent in thousandths of the area, so screens of any size agree. */
const SCALE = 1000;
/** At most one move this often: the service coalesces to 50 ms anyway. */
const MOVE_EVERY_MS = 50;
/** One arrow key press moves the pointer this far (thousandths); with Shift, five times. */
const KEY_STEP = 20;

interface Position {
  userId: string;
  x: number;
  y: number;
}

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/**
 * A shared document where everyone who joined is listed and sees the others' pointers
 * move live (presence: ephemeral, never in the inbox). The pointer moves with the mouse
 * or, once the document has focus, with the arrow keys. Whatever this page shows comes
 * from the open stream: when it drops, the list and the pointers go (no stale pointer),
 * and the snapshot of the next connection brings back whoever is still there.
 */
export class PresenceView {
  private stream: ResilientStream | null = null;
  private readonly area = byId('document');
  private readonly toggle = byId<HTMLButtonElement>('document-toggle');
  private readonly state = byId('document-state');
  private readonly list = byId('presence-list');
  private readonly present = new Set<string>();
  private readonly cursors = new Map<string, HTMLElement>();
  private own = { x: SCALE / 2, y: SCALE / 2 };
  private pending: { x: number; y: number } | null = null;
  private sending = false;
  private scheduled = false;
  private lastSent = 0;

  constructor(
    private readonly api: Api,
    private readonly transport: Transport,
    private readonly getToken: () => Promise<string>,
    private readonly me: string,
  ) {
    this.toggle.addEventListener('click', () => (this.stream ? this.leave() : this.join()));
    this.area.addEventListener('pointermove', (event) => this.pointerMoved(event));
    this.area.addEventListener('keydown', (event) => this.keyPressed(event));
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
        if (state.status !== 'live') this.forgetEveryone();
        else this.arrived();
        this.state.textContent =
          state.status === 'live'
            ? 'Joined: move your pointer over the document (or focus it and use the arrow keys).'
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
    this.forgetEveryone();
  }

  /**
   * Open: the service announces this user to the others, but lists in its snapshot only
   * users whose position it knows; posting ours (the last one, or the middle) makes us
   * visible to those who join later too.
   */
  private arrived(): void {
    this.present.add(this.me);
    this.renderList();
    this.moveTo(this.own);
  }

  private forgetEveryone(): void {
    for (const cursor of this.cursors.values()) cursor.remove();
    this.cursors.clear();
    this.present.clear();
    this.renderList();
  }

  private apply(type: string, data: Record<string, unknown>): void {
    if (type === 'snapshot') {
      this.forgetEveryone();
      this.present.add(this.me);
      for (const user of data.users as Position[]) this.place(user);
    } else if (type === 'join') {
      this.present.add(String(data.userId));
    } else if (type === 'move') {
      this.place(data as unknown as Position);
    } else if (type === 'leave') {
      const userId = String(data.userId);
      this.present.delete(userId);
      this.cursors.get(userId)?.remove();
      this.cursors.delete(userId);
    }
    this.renderList();
  }

  private renderList(): void {
    const people = [...this.present].sort();
    this.list.replaceChildren(
      ...people.map((userId) => {
        const item = element('li', '', userId === this.me ? `${userId} (you)` : userId);
        item.dataset.user = userId;
        return item;
      }),
    );
  }

  /** Shows a user's pointer (positions are clamped: they come from other screens). */
  private place({ userId, x, y }: Position): void {
    this.present.add(userId);
    // One's own pointer is the mouse itself; keyboard users see theirs (see keyPressed).
    if (userId === this.me && this.area.dataset.keyboard !== 'true') return;
    let cursor = this.cursors.get(userId);
    if (!cursor) {
      cursor = element('span', userId === this.me ? 'cursor own' : 'cursor', userId);
      cursor.dataset.user = userId;
      cursor.setAttribute('aria-hidden', 'true');
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
    this.moveTo({
      x: Math.round(((event.clientX - box.left) / box.width) * SCALE),
      y: Math.round(((event.clientY - box.top) / box.height) * SCALE),
    });
  }

  private keyPressed(event: KeyboardEvent): void {
    const arrow = ARROWS[event.key];
    if (!this.stream || !arrow) return;
    event.preventDefault();
    this.area.dataset.keyboard = 'true';
    const step = event.shiftKey ? KEY_STEP * 5 : KEY_STEP;
    const clamp = (value: number) => Math.min(SCALE, Math.max(0, value));
    const position = {
      x: clamp(this.own.x + arrow[0] * step),
      y: clamp(this.own.y + arrow[1] * step),
    };
    this.place({ userId: this.me, ...position });
    this.moveTo(position);
  }

  private moveTo(position: { x: number; y: number }): void {
    this.own = position;
    this.pending = position;
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
