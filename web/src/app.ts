/**
 * The demo page: sign in, then the inbox, toasts, the publishing forms, a workflow's
 * timeline and a shared document, all fed by one NotificationClient per browser.
 */
import { Api, callApi } from './api.js';
import { NotificationClient, type ElectionMode, type Transport } from '@notification-hub/client';
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
import { byId, field, formStatus } from './ui/dom.js';
import { PublishForms } from './ui/forms.js';
import { Inbox } from './ui/inbox.js';
import { PresenceView } from './ui/presence.js';
import { TimelineView } from './ui/timeline.js';
import { Toasts } from './ui/toasts.js';

async function main(): Promise<void> {
  const session = loadSession();
  if (session) {
    run(session);
    return;
  }
  const { devTokens } = await callApi<{ devTokens: boolean }>('GET', '/demo/settings');
  showSignIn(devTokens);
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
      (error: unknown) =>
        formStatus(form, error instanceof Error ? error.message : String(error), 'error'),
    );
  });
}

/** `?election=broadcast` tries the BroadcastChannel election where Web Locks exist too. */
function electionMode(): ElectionMode {
  const asked = new URLSearchParams(location.search).get('election');
  return asked === 'locks' || asked === 'broadcast' ? asked : 'auto';
}

function run(session: Session): void {
  const getToken = tokenSource(session);
  const api = new Api(getToken);
  byId('app').hidden = false;
  byId('account').hidden = false;
  const roles = session.roles.length > 0 ? ` (${session.roles.join(', ')})` : '';
  byId('who').textContent = `${session.userId}${roles} · ${session.transport}`;

  const toasts = new Toasts(byId('toasts'));
  const status = new ConnectionStatus(byId('connection-state'));
  const timeline = new TimelineView(session.transport, getToken);
  new PresenceView(api, session.transport, getToken);
  const forms = new PublishForms(api, session.roles.includes('admin'), (workflow) =>
    timeline.watch(workflow.id),
  );
  const inbox = new Inbox(api, byId('inbox'), byId('inbox-empty'), byId('unread-badge'), {
    decide: (id, decision) => forms.prepareDecision(id, decision),
    watch: (id) => timeline.watch(id),
  });
  const reloadInbox = () => void inbox.reload().catch(() => undefined);

  const client = new NotificationClient({
    getToken,
    channel: `notification-hub-demo:${session.userId}`,
    transport: session.transport,
    election: electionMode(),
  });
  client.on('notification', (notification) => {
    toasts.show(notification);
    inbox.add(notification);
  });
  let unread: number | null = null;
  client.on('unread', (count) => {
    // Fewer unread: something was read, maybe in another tab; show it read here too.
    if (unread !== null && count < unread) reloadInbox();
    unread = count;
    inbox.setUnread(count);
  });
  client.on('state', (state) => status.render(state));
  client.on('reset', reloadInbox);
  client.start();
  reloadInbox();

  byId('mark-all-read').addEventListener(
    'click',
    () => void inbox.markAllRead().catch(() => undefined),
  );
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
