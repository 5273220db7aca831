import type { Api } from '../api.js';
import { byId, field, formStatus, userList } from './dom.js';

interface Workflow {
  id: string;
  name: string;
  status: string;
}

/**
 * The publishing forms: a message, a workflow to start, a decision on one, and (admins)
 * an announcement. Each says in its status line what happened, or the service's reason.
 */
export class PublishForms {
  private readonly decide = byId<HTMLFormElement>('decide-form');

  constructor(
    private readonly api: Api,
    isAdmin: boolean,
    private readonly onWorkflowStarted: (workflow: Workflow) => void,
  ) {
    this.handle(byId<HTMLFormElement>('message-form'), async (form, data) => {
      await this.api.post('/messages', {
        text: data.get('text'),
        to: userList(field(data, 'to')),
      });
      form.reset();
      return 'Sent';
    });
    this.handle(byId<HTMLFormElement>('workflow-form'), async (form, data) => {
      const workflow = await this.api.post<Workflow>('/workflows', {
        name: data.get('name'),
        approvers: userList(field(data, 'approvers')),
      });
      form.reset();
      this.onWorkflowStarted(workflow);
      return `Started workflow ${workflow.id}`;
    });
    this.handle(this.decide, async (_form, data, submitter) => {
      const decision = submitter?.value === 'reject' ? 'reject' : 'approve';
      const id = field(data, 'id').trim();
      const comment = field(data, 'comment').trim();
      const workflow = await this.api.post<Workflow>(
        `/workflows/${encodeURIComponent(id)}/${decision}`,
        comment ? { comment } : {},
      );
      return `Workflow ${workflow.id}: ${workflow.status}`;
    });
    const announcement = byId<HTMLFormElement>('announcement-form');
    announcement.hidden = !isAdmin;
    this.handle(announcement, async (form, data) => {
      await this.api.post('/announcements', { title: data.get('title'), body: data.get('body') });
      form.reset();
      return 'Announced';
    });
  }

  /** Fills the decision form for a workflow (from the inbox) and focuses its button. */
  prepareDecision(workflowId: string, decision: 'approve' | 'reject'): void {
    byId<HTMLInputElement>('decide-id').value = workflowId;
    this.decide
      .querySelector<HTMLButtonElement>(`button[value="${decision}"]`)
      ?.focus({ preventScroll: false });
  }

  private handle(
    form: HTMLFormElement,
    submit: (
      form: HTMLFormElement,
      data: FormData,
      submitter: HTMLButtonElement | null,
    ) => Promise<string>,
  ): void {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const submitter = event.submitter instanceof HTMLButtonElement ? event.submitter : null;
      formStatus(form, 'Sending…', 'ok');
      submit(form, new FormData(form), submitter).then(
        (done) => formStatus(form, done, 'ok'),
        (error: unknown) =>
          formStatus(form, error instanceof Error ? error.message : String(error), 'error'),
      );
    });
  }
}
