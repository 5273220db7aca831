/**
 * The demo page: sign in, then the bell with its inbox panel, the preferences panel,
 * toasts, the publishing forms, a workflow's timeline and a shared document with who is
 * here, all fed by one NotificationClient per browser.
 */
import { Api, callApi, messageOf } from './api.js';
import {
  NOTIFICATION_TYPES,
  NotificationClient,
  type ElectionMode,
} from './notification-client.js';
import { quietPolyfillStreams } from './quiet-fetch-transport.js';
import type { Transport } from './resilient-stream.js';
import {
  clearSession,
  devSignIn,
  loadSession,
  onSessionChange,
  tokenSignIn,
  tokenSource,
  type Session,
} from './session.js';
import { ConnectionStatus } from './ui/connection-status.js';
import { byId, field, formStatus, Notice } from './ui/dom.js';
import { PublishForms } from './ui/forms.js';
import { Inbox } from './ui/inbox.js';
import { PreferencesPanel } from './ui/preferences.js';
import { PresenceView } from './ui/presence.js';
import { TimelineView } from './ui/timeline.js';
import { Toasts } from './ui/toasts.js';
import { WorkflowDecisions } from './ui/workflow-decisions.js';

async function main(): Promise<void> {
  quietPolyfillStreams();
  const session = loadSession();
  if (session) {
    run(session);
    return;
  }
  try {
    const { devTokens } = await callApi<{ devTokens: boolean }>('GET', '/demo/settings');
    showSignIn(devTokens);
  } catch (error) {
    new Notice(byId('notice')).show(`${messageOf(error)} Reload the page to try again.`);
  }
}

function showSignIn(devTokens: boolean): void {
  const section = byId('sign-in');
  const form = byId<HTMLFormElement>('sign-in-form');
  section.hidden = false;
  byId('dev-sign-in').hidden = !devTokens;
  byId('token-sign-in').hidden = devTokens;
  (devTokens ? byId('sign-in-user') : byId('sign-in-token')).focus();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const transport: Transport = data.get('transport') === 'native' ? 'native' : 'polyfill';
    const signIn = async (): Promise<Session> => {
      if (!devTokens) return tokenSignIn(field(data, 'token'), transport);
      const userId = field(data, 'userId').trim();
      if (!userId) throw new Error('Enter a user name');
      return devSignIn(userId, data.getAll('roles').map(String), transport);
    };
    signIn().then(
      (session) => {
        section.hidden = true;
        run(session);
      },
      (error: unknown) => formStatus(form, messageOf(error), 'error'),
    );
  });
}

/** `?election=broadcast` tries the BroadcastChannel election where Web Locks exist too. */
function electionMode(): ElectionMode {
  const asked = new URLSearchParams(location.search).get('election');
  return asked === 'locks' || asked === 'broadcast' ? asked : 'auto';
}

/**
 * Events the client package adds (`types`, `preferences`); subscribed where the client
 * offers them, a no-op with a client that does not (its `on` knows a fixed set).
 */
function onIfOffered<T>(
  client: NotificationClient,
  event: 'types' | 'preferences',
  listener: (value: T) => void,
): void {
  const on = client.on.bind(client) as unknown as (e: string, l: (value: T) => void) => void;
  try {
    on(event, listener);
  } catch {
    // An older client: the page reads the same through REST when it opens its panels.
  }
}

/** Shows one panel of the header (the inbox or the preferences) and hides the other. */
class Panels {
  private readonly toggles = [byId('bell'), byId('prefs-toggle')];

  constructor(private readonly onToggle: (open: string | null) => void) {
    for (const toggle of this.toggles) {
      toggle.addEventListener('click', () => {
        const controls = toggle.getAttribute('aria-controls')!;
        this.open(byId(controls).hidden ? controls : null);
      });
    }
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      const open = this.openToggle();
      if (!open) return;
      this.open(null);
      open.focus();
    });
    // A click elsewhere on the page closes the open panel, as a menu would.
    document.addEventListener('click', (event) => {
      const open = this.openToggle();
      const target = event.target instanceof Node ? event.target : null;
      if (!open || !target || !document.contains(target)) return;
      const panel = byId(open.getAttribute('aria-controls')!);
      if (!panel.contains(target) && !open.contains(target)) this.open(null);
    });
  }

  private openToggle(): HTMLElement | undefined {
    return this.toggles.find((toggle) => toggle.getAttribute('aria-expanded') === 'true');
  }

  open(panelId: string | null): void {
    for (const toggle of this.toggles) {
      const controls = toggle.getAttribute('aria-controls')!;
      toggle.setAttribute('aria-expanded', String(controls === panelId));
      byId(controls).hidden = controls !== panelId;
    }
    if (panelId) byId(panelId).querySelector<HTMLElement>('h2')?.focus();
    this.onToggle(panelId);
  }
}

function run(session: Session): void {
  const getToken = tokenSource(session);
  const api = new Api(getToken);
  byId('app').hidden = false;
  byId('account').hidden = false;
  const roles = session.roles.length > 0 ? ` (${session.roles.join(', ')})` : '';
  byId('who').textContent = `${session.userId}${roles} · ${session.transport}`;

  const notice = new Notice(byId('notice'));
  const failed = (message: string) => notice.show(message);
  const toasts = new Toasts(byId('toasts'));
  // "Retry now": the stream's own retry answers the browser's `online` event at once.
  const status = new ConnectionStatus(byId('connection-state'), byId('retry-now'), () =>
    window.dispatchEvent(new Event('online')),
  );
  const timeline = new TimelineView(session.transport, getToken);
  new PresenceView(api, session.transport, getToken, session.userId);
  new PublishForms(api, session.roles.includes('admin'), (workflow) => timeline.watch(workflow.id));
  const decisions = new WorkflowDecisions(api);
  const inbox = new Inbox(api, decisions, { watch: (id) => timeline.watch(id), failed });
  const preferences = new PreferencesPanel(api, failed);
  const badge = byId('unread-badge');

  const knownTypes = new Set<string>(NOTIFICATION_TYPES);
  const learnTypes = (types: readonly string[]) => {
    for (const type of types) knownTypes.add(type);
    inbox.setTypes([...knownTypes].sort());
  };
  learnTypes([]);
  let inboxOpen = false;
  new Panels((open) => {
    inboxOpen = open === 'inbox-panel';
    decisions.recheckWhile(inboxOpen);
    if (inboxOpen) {
      inbox.reload();
      // The filter offers every type known now, also those first published meanwhile.
      api.types().then(learnTypes, () => undefined);
    }
    if (open === 'prefs-panel') void preferences.load();
  });

  const client = new NotificationClient({
    getToken,
    channel: `notification-hub-demo:${session.userId}`,
    transport: session.transport,
    election: electionMode(),
  });
  client.on('notification', (notification) => {
    toasts.show(notification);
    decisions.noticed(notification.type, notification.data);
    learnTypes([notification.type]);
    inbox.add(notification);
  });
  let unread: number | null = null;
  client.on('unread', (count) => {
    // Fewer unread: something was read, maybe in another tab; show it read here too.
    if (inboxOpen && unread !== null && count < unread) inbox.reload();
    unread = count;
    badge.textContent = String(count);
    badge.dataset.unread = String(count > 0);
    badge.setAttribute('aria-label', `${count} unread`);
  });
  client.on('state', (state) => status.render(state));
  client.on('reset', () => inboxOpen && inbox.reload());
  onIfOffered<{ types: string[] } | string[]>(client, 'types', (value) =>
    learnTypes(Array.isArray(value) ? value : value.types),
  );
  onIfOffered<{ types: Record<string, boolean> } | Record<string, boolean>>(
    client,
    'preferences',
    (value) => {
      const types = 'types' in value && typeof value.types === 'object' ? value.types : value;
      preferences.render(types as Record<string, boolean>);
      if (inboxOpen) inbox.reload();
    },
  );
  client.start();
  api.types().then(learnTypes, () => undefined);

  byId('sign-out').addEventListener('click', () => {
    client.stop();
    clearSession();
    location.reload();
  });
  // Another tab signed in as someone else, or out: this one follows.
  onSessionChange(() => {
    if (loadSession()?.userId !== session.userId) location.reload();
  });
}

void main();
