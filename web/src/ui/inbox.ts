import type { Api } from '../api.js';
import type { Notification } from '../notification-client.js';
import { element } from './dom.js';

type InboxItem = Notification & { read: boolean };

/** What an inbox item offers beyond "mark read": workflow decisions and timelines. */
export interface InboxActions {
  decide(workflowId: string, decision: 'approve' | 'reject'): void;
  watch(workflowId: string): void;
}

const PAGE = 30;

/** The newest notifications, unread ones highlighted, with the unread badge. */
export class Inbox {
  private items = new Map<string, InboxItem>();

  constructor(
    private readonly api: Api,
    private readonly list: HTMLElement,
    private readonly empty: HTMLElement,
    private readonly badge: HTMLElement,
    private readonly actions: InboxActions,
  ) {}

  async reload(): Promise<void> {
    const page = await this.api.get<{ items: InboxItem[] }>(`/notifications?limit=${PAGE}`);
    this.items = new Map(page.items.map((item) => [item.id, item]));
    this.render();
  }

  /** A notification that just arrived: unread, on top. */
  add(notification: Notification): void {
    if (this.items.has(notification.id)) return;
    this.items = new Map([[notification.id, { ...notification, read: false }], ...this.items]);
    this.render();
  }

  setUnread(count: number): void {
    this.badge.textContent = String(count);
    this.badge.dataset.unread = String(count > 0);
    this.badge.setAttribute('aria-label', `${count} unread`);
  }

  async markRead(id: string): Promise<void> {
    await this.api.post(`/notifications/${encodeURIComponent(id)}/read`);
    const item = this.items.get(id);
    if (item) item.read = true;
    this.render();
  }

  async markAllRead(): Promise<void> {
    await this.api.post('/notifications/read-all');
    for (const item of this.items.values()) item.read = true;
    this.render();
  }

  private render(): void {
    this.empty.hidden = this.items.size > 0;
    this.list.replaceChildren(
      ...[...this.items.values()].slice(0, PAGE).map((item) => this.row(item)),
    );
  }

  private row(item: InboxItem): HTMLLIElement {
    const row = element('li');
    row.dataset.id = item.id;
    row.dataset.read = String(item.read);
    row.append(element('p', 'title', item.title));
    if (item.body) row.append(element('p', 'body', item.body));
    const when = new Date(item.createdAt).toLocaleTimeString();
    row.append(element('p', 'meta', `${item.type} · ${item.actorId ?? 'system'} · ${when}`));
    const actions = element('div', 'actions row');
    if (!item.read) {
      actions.append(this.button('Mark read', item.title, () => this.markRead(item.id)));
    }
    const workflowId = typeof item.data.workflowId === 'string' ? item.data.workflowId : null;
    if (workflowId && item.type === 'workflow.started') {
      actions.append(
        this.button('Approve', item.title, () => this.actions.decide(workflowId, 'approve')),
        this.button('Reject', item.title, () => this.actions.decide(workflowId, 'reject')),
      );
    }
    if (workflowId) {
      actions.append(this.button('Timeline', item.title, () => this.actions.watch(workflowId)));
    }
    if (actions.childElementCount > 0) row.append(actions);
    return row;
  }

  /** `about`: the item's title, so that a screen reader tells the many "Mark read" apart. */
  private button(label: string, about: string, onClick: () => unknown): HTMLButtonElement {
    const button = element('button', 'small secondary', label);
    button.type = 'button';
    button.setAttribute('aria-label', `${label}: ${about}`);
    button.addEventListener('click', () => void Promise.resolve(onClick()).catch(() => undefined));
    return button;
  }
}
