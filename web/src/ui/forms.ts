import { messageOf, type Api } from '../api.js';
import { byId, field, formStatus, userList } from './dom.js';

interface Workflow {
  id: string;
  name: string;
  status: string;
}

/**
 * The publishing forms: a message, a workflow to start and (admins) an announcement.
 * Each says in its status line what happened, or why not in words a person reads.
 */
export class PublishForms {
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
    const announcement = byId<HTMLFormElement>('announcement-form');
    announcement.hidden = !isAdmin;
    this.handle(announcement, async (form, data) => {
      await this.api.post('/announcements', { title: data.get('title'), body: data.get('body') });
      form.reset();
      return 'Announced';
    });
  }

  private handle(
    form: HTMLFormElement,
    submit: (form: HTMLFormElement, data: FormData) => Promise<string>,
  ): void {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      formStatus(form, 'Sending…', 'ok');
      submit(form, new FormData(form)).then(
        (done) => formStatus(form, done, 'ok'),
        (error: unknown) => formStatus(form, messageOf(error), 'error'),
      );
    });
  }
}
