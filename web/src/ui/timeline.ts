import { ResilientStream, type StreamState, type Transport } from '@notification-hub/client';
import { byId, element, field } from './dom.js';

const EVENTS = [
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'log',
  'end',
] as const;

/**
 * A workflow's live timeline, like a build log: replayed from its start, then live,
 * resumed after the last line on reconnection, finished at `end`.
 */
export class TimelineView {
  private stream: ResilientStream | null = null;
  private readonly list = byId<HTMLOListElement>('timeline');
  private readonly state = byId('timeline-state');

  constructor(
    private readonly transport: Transport,
    private readonly getToken: () => Promise<string>,
  ) {
    const form = byId<HTMLFormElement>('timeline-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.watch(field(new FormData(form), 'id').trim());
    });
  }

  watch(workflowId: string): void {
    if (!workflowId) return;
    byId<HTMLInputElement>('timeline-id').value = workflowId;
    this.stream?.stop();
    this.list.replaceChildren();
    let cursor: string | null = null;
    const stream = new ResilientStream({
      baseUrl: '',
      path: `/workflows/${encodeURIComponent(workflowId)}/stream`,
      transport: this.transport,
      getToken: this.getToken,
      events: EVENTS,
      resumeAfter: () => cursor,
      onState: (state) => this.showState(workflowId, state),
      onEvent: (type, data, id) => {
        if (id) cursor = id;
        this.append(type, data);
        // The service closes the stream after `end`: stop first, or it would reconnect.
        if (type === 'end') stream.stop('ended');
      },
    });
    this.stream = stream;
    stream.start();
  }

  private append(type: string, data: string): void {
    const payload = JSON.parse(data) as Record<string, unknown>;
    const time = typeof payload.at === 'string' ? new Date(payload.at).toLocaleTimeString() : '';
    const comment = typeof payload.comment === 'string' ? `: ${payload.comment}` : '';
    const text =
      type === 'log'
        ? String(payload.line)
        : type === 'end'
          ? `finished: ${String(payload.status)}`
          : `${type} by ${String(payload.actorId)}${comment}`;
    this.list.append(element('li', '', `${time} ${text}`.trim()));
  }

  private showState(workflowId: string, state: StreamState): void {
    const text: Record<string, string> = {
      connecting: 'connecting…',
      live: 'live',
      reconnecting: 'reconnecting…',
    };
    const stopped =
      state.status === 'stopped'
        ? state.reason === 'ended'
          ? 'finished'
          : state.reason === 'not-found'
            ? 'not found, or not yours to see'
            : state.reason
        : null;
    this.state.textContent = `Workflow ${workflowId}: ${stopped ?? text[state.status]}`;
  }
}
