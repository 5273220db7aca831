/**
 * The demo page: sign in, then the bell with its inbox panel, the preferences panel,
 * toasts, the publishing forms, a workflow's timeline and a shared document with who is
 * here, all fed by one NotificationClient per browser.
 */
import { NotificationClient, type ElectionMode, type Transport } from '@notification-hub/client';
import { Api, callApi, messageOf } from './api.js';
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
  const client = new NotificationClient({
    getToken,
    channel: `notification-hub-demo:${session.userId}`,
    transport: session.transport,
    election: electionMode(),
  });
  // "Retry now": in a tab that follows another, the client asks the leader tab to retry.
  const status = new ConnectionStatus(byId('connection-state'), byId('retry-now'), () =>
    client.reconnectNow(),
  );
  const timeline = new TimelineView(session.transport, getToken);
  new PresenceView(api, session.transport, getToken, session.userId);
  new PublishForms(api, session.roles.includes('admin'), (workflow) => timeline.watch(workflow.id));
  const decisions = new WorkflowDecisions(api);
  const inbox = new Inbox(client.inbox, decisions, { watch: (id) => timeline.watch(id), failed });
  const preferences = new PreferencesPanel(client.preferences, failed);
  const badge = byId('unread-badge');

  // Every type the service knows (the stream's `types` event, GET /notifications/types),
  // plus any a notification brings before either says so.
  const knownTypes = new Set<string>();
  const learnTypes = (types: readonly string[]) => {
    const before = knownTypes.size;
    for (const type of types) knownTypes.add(type);
    if (knownTypes.size !== before) inbox.setTypes([...knownTypes].sort());
  };
  let inboxOpen = false;
  new Panels((open) => {
    inboxOpen = open === 'inbox-panel';
    decisions.recheckWhile(inboxOpen);
    if (inboxOpen) inbox.reload();
    if (open === 'prefs-panel') void preferences.load();
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
  // Sent when the stream opens and again whenever a new type appears.
  client.on('types', learnTypes);
  client.on('preferences', (value) => {
    preferences.render(value);
    if (inboxOpen) inbox.reload();
  });
  client.start();
  // Before the stream's first `types` (or with the service unreachable for now).
  client.types().then(learnTypes, () => undefined);

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
