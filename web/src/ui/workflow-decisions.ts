import { ApiError, type Api, type Workflow } from '../api.js';

/** A workflow's status as far as this page knows; `gone`: no longer ours to see (404). */
export type DecisionStatus = Workflow['status'] | 'gone';

/** While the inbox is open, pending workflows are read again this often. */
const RECHECK_MS = 3000;

const DECIDED_BY_TYPE: Record<string, DecisionStatus> = {
  'workflow.approved': 'approved',
  'workflow.rejected': 'rejected',
  'workflow.cancelled': 'cancelled',
};

/**
 * Which workflows are still waiting for a decision, so that Approve / Reject show only
 * then. Learned from GET /workflows/:id, from the decision notifications (`approved` and
 * `rejected` reach the starter, `cancelled` the approvers) and, since another approver's
 * decision notifies no one but the starter, from reading the pending ones again every
 * few seconds while the inbox is open.
 */
export class WorkflowDecisions {
  private readonly statuses = new Map<string, DecisionStatus>();
  private readonly asking = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly api: Api) {}

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** The known status; unknown ones are asked for (listeners hear the answer). */
  status(workflowId: string): DecisionStatus | undefined {
    const known = this.statuses.get(workflowId);
    if (known === undefined) void this.ask(workflowId);
    return known;
  }

  /** A notification arrived: a decision notification settles its workflow at once. */
  noticed(type: string, data: Record<string, unknown>): void {
    const decided = DECIDED_BY_TYPE[type];
    if (decided && typeof data.workflowId === 'string') this.set(data.workflowId, decided);
  }

  async decide(workflowId: string, decision: 'approve' | 'reject'): Promise<void> {
    try {
      this.set(workflowId, (await this.api.decide(workflowId, decision)).status);
    } catch (error) {
      // Someone else was quicker (409) or it was withdrawn: show what it is now.
      if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
        await this.ask(workflowId);
      }
      throw error;
    }
  }

  /** Reads the pending workflows again every few seconds while `on` (the inbox is open). */
  recheckWhile(on: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!on) return;
    const recheck = () => {
      if (document.visibilityState !== 'visible') return;
      for (const [id, status] of this.statuses) if (status === 'pending') void this.ask(id);
    };
    recheck();
    this.timer = setInterval(recheck, RECHECK_MS);
  }

  private async ask(workflowId: string): Promise<void> {
    if (this.asking.has(workflowId)) return;
    this.asking.add(workflowId);
    try {
      this.set(workflowId, (await this.api.workflow(workflowId)).status);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) this.set(workflowId, 'gone');
      // Anything else (the service unreachable): asked again at the next render or recheck.
    } finally {
      this.asking.delete(workflowId);
    }
  }

  private set(workflowId: string, status: DecisionStatus): void {
    if (this.statuses.get(workflowId) === status) return;
    this.statuses.set(workflowId, status);
    for (const listener of this.listeners) listener();
  }
}
