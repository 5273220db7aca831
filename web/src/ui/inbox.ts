import type { InboxApi, InboxItem, InboxListOptions, Notification } from '@notification-hub/client';
import { messageOf } from '../api.js';
import { byId, element } from './dom.js';
import type { WorkflowDecisions } from './workflow-decisions.js';

type View = 'all' | 'unread' | 'archived';

/** What an inbox item offers beyond its own state: the workflow's timeline. */
export interface InboxActions {
  watch(workflowId: string): void;
  /** A failed request, in words a person reads. */
  failed(message: string): void;
}

const PAGE = 20;

/** The workflow a notification is about, if any. */
function workflowOf(item: { data: Record<string, unknown> }): string | null {
  return typeof item.data.workflowId === 'string' ? item.data.workflowId : null;
}

/**
 * The inbox panel behind the bell: All / Unread / Archived, a filter by type, "Load
 * more" paging; per item read/unread, archive/unarchive and, for approval requests,
 * Approve / Reject in place, shown only while the workflow is still pending.
 */
export class Inbox {
  private view: View = 'all';
  private type = '';
  private items: InboxItem[] = [];
  private nextBefore: string | null = null;
  /** Bumped by every reload, so that an older answer arriving late is dropped. */
  private generation = 0;
  /**
   * Ids shown live (add) since the first page was last asked for: a page read before they
   * were stored lacks them, and replacing the list with it would hide them until the next
   * reload.
   */
  private readonly arrivedSinceReload = new Set<string>();
  private readonly list = byId('inbox');
  private readonly empty = byId('inbox-empty');
  private readonly more = byId<HTMLButtonElement>('inbox-more');
  private readonly typeSelect = byId<HTMLSelectElement>('inbox-type');
  private readonly status = byId('inbox-status');

  constructor(
    /** The client package's inbox helpers (`client.inbox`). */
    private readonly api: InboxApi,
    private readonly decisions: WorkflowDecisions,
    private readonly actions: InboxActions,
  ) {
    for (const button of byId('inbox-panel').querySelectorAll<HTMLButtonElement>('[data-view]')) {
      button.addEventListener('click', () => this.show(button.dataset.view as View));
    }
    this.typeSelect.addEventListener('change', () => {
      this.type = this.typeSelect.value;
      this.reload();
    });
    this.more.addEventListener('click', () => void this.loadMore());
    byId('mark-all-read').addEventListener('click', () => {
      void this.act(async () => {
        await this.api.readAll();
        for (const item of this.items) item.read = true;
        if (this.view === 'unread') this.items = [];
      });
    });
    decisions.onChange(() => this.render());
  }

  /** The types offered by the filter (every type the service knows). */
  setTypes(types: readonly string[]): void {
    const current = this.typeSelect.value;
    this.typeSelect.replaceChildren(
      element('option', '', 'All types'),
      ...types.map((type) => {
        const option = element('option', '', type);
        option.value = type;
        return option;
      }),
    );
    (this.typeSelect.firstElementChild as HTMLOptionElement).value = '';
    this.typeSelect.value = types.includes(current) ? current : '';
  }

  private show(view: View): void {
    this.view = view;
    for (const button of byId('inbox-panel').querySelectorAll<HTMLButtonElement>('[data-view]')) {
      button.setAttribute('aria-pressed', String(button.dataset.view === view));
    }
    this.reload();
  }

  /** Reads the first page of the current view again (failures are shown, not thrown). */
  reload(): void {
    const generation = ++this.generation;
    this.arrivedSinceReload.clear();
    this.status.textContent = 'Loading…';
    this.api.list(this.query(null)).then(
      (page) => {
        if (generation !== this.generation) return;
        const inPage = new Set(page.items.map((item) => item.id));
        const arrived = this.items.filter(
          (item) => this.arrivedSinceReload.has(item.id) && !inPage.has(item.id),
        );
        this.items = [...arrived, ...page.items];
        this.nextBefore = page.nextBefore;
        this.status.textContent = '';
        this.render();
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.status.textContent = '';
        this.actions.failed(messageOf(error));
      },
    );
  }

  private async loadMore(): Promise<void> {
    if (!this.nextBefore) return;
    const generation = this.generation;
    await this.act(async () => {
      const page = await this.api.list(this.query(this.nextBefore));
      if (generation !== this.generation) return;
      const known = new Set(this.items.map((item) => item.id));
      this.items.push(...page.items.filter((item) => !known.has(item.id)));
      this.nextBefore = page.nextBefore;
    });
  }

  private query(before: string | null): InboxListOptions {
    return {
      unread: this.view === 'unread',
      archived: this.view === 'archived',
      types: this.type ? [this.type] : [],
      before,
      limit: PAGE,
    };
  }

  /** A notification that just arrived: unread, on top, when the current view shows it. */
  add(notification: Notification): void {
    if (this.view === 'archived' || (this.type && notification.type !== this.type)) return;
    if (this.items.some((item) => item.id === notification.id)) return;
    this.items.unshift({ ...notification, read: false });
    this.arrivedSinceReload.add(notification.id);
    this.render();
  }

  private async act(change: () => Promise<void>): Promise<void> {
    try {
      await change();
      this.render();
    } catch (error) {
      this.actions.failed(messageOf(error));
    }
  }

  private mark(item: InboxItem, action: 'read' | 'unread' | 'archive' | 'unarchive'): void {
    void this.act(async () => {
      await this.api[action](item.id);
      if (action === 'read' || action === 'unread') item.read = action === 'read';
      // Archiving or unarchiving moves the item out of the current view; so does reading it in Unread.
      const leaves =
        action === 'archive' ||
        action === 'unarchive' ||
        (action === 'read' && this.view === 'unread');
      if (leaves) this.items = this.items.filter((other) => other !== item);
    });
  }

  private decide(workflowId: string, decision: 'approve' | 'reject'): void {
    void this.decisions.decide(workflowId, decision).catch((error: unknown) => {
      this.actions.failed(messageOf(error));
    });
  }

  private render(): void {
    this.empty.hidden = this.items.length > 0;
    this.empty.textContent =
      this.view === 'archived'
        ? 'Nothing archived.'
        : this.view === 'unread'
          ? 'All caught up: nothing unread.'
          : 'Nothing yet. Notifications appear here as they arrive.';
    this.more.hidden = this.nextBefore === null;
    this.list.replaceChildren(...this.items.map((item) => this.row(item)));
  }

  private row(item: InboxItem): HTMLLIElement {
    const row = element('li');
    row.dataset.id = item.id;
    row.dataset.type = item.type;
    row.dataset.read = String(item.read);
    row.append(element('p', 'title', item.title));
    if (item.body) row.append(element('p', 'body', item.body));
    const when = new Date(item.createdAt).toLocaleString();
    row.append(element('p', 'meta', `${item.type} · ${item.actorId ?? 'system'} · ${when}`));
    const actions = element('div', 'actions row');
    const workflowId = workflowOf(item);
    if (workflowId && item.type === 'workflow.started' && this.view !== 'archived') {
      const status = this.decisions.status(workflowId);
      if (status === 'pending') {
        actions.append(
          this.button('Approve', item.title, () => this.decide(workflowId, 'approve'), ''),
          this.button('Reject', item.title, () => this.decide(workflowId, 'reject'), 'danger'),
        );
      } else if (status) {
        actions.append(element('span', 'decided', status === 'gone' ? 'Closed' : status));
      }
    }
    if (this.view === 'archived') {
      actions.append(this.button('Unarchive', item.title, () => this.mark(item, 'unarchive')));
    } else {
      actions.append(
        item.read
          ? this.button('Mark unread', item.title, () => this.mark(item, 'unread'))
          : this.button('Mark read', item.title, () => this.mark(item, 'read')),
        this.button('Archive', item.title, () => this.mark(item, 'archive')),
      );
    }
    if (workflowId) {
      actions.append(this.button('Timeline', item.title, () => this.actions.watch(workflowId)));
    }
    row.append(actions);
    return row;
  }

  /** `about`: the item's title, so that a screen reader tells the many "Mark read" apart. */
  private button(
    label: string,
    about: string,
    onClick: () => void,
    kind = 'secondary',
  ): HTMLButtonElement {
    const button = element('button', `small ${kind}`.trim(), label);
    button.type = 'button';
    button.setAttribute('aria-label', `${label}: ${about}`);
    button.addEventListener('click', onClick);
    return button;
  }
}
