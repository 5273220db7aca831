import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth-user.js';
import { DomainEventBus } from '../events/domain-event-bus.js';
import type { DomainEventName, WorkflowEvent } from '../events/domain-event-map.js';
import { DocumentStore } from '../storage/document-store.js';
import type { ListWorkflowsQuery } from './dto/list-workflows.query.js';
import type { StartWorkflowDto } from './dto/start-workflow.dto.js';
import type { Workflow } from './workflow.js';
import { assertMayCancel, assertMayDecide, maySee } from './workflow-access.js';
import { workflowIndexKeys, workflowQuery } from './workflow-index.js';

const WORKFLOWS = 'workflows';
const DEFAULT_LIMIT = 50;

@Injectable()
export class WorkflowsService {
  constructor(
    private readonly documents: DocumentStore,
    private readonly events: DomainEventBus,
  ) {}

  async start(starter: AuthUser, dto: StartWorkflowDto): Promise<Workflow> {
    const now = new Date().toISOString();
    const draft: Workflow = {
      id: randomUUID(),
      name: dto.name,
      starterId: starter.id,
      approvers: dto.approvers ?? null,
      status: 'pending',
      decision: null,
      createdAt: now,
      updatedAt: now,
    };
    const workflow = await this.documents.insert(WORKFLOWS, draft, workflowIndexKeys);
    await this.announce('workflow.started', workflow, starter, null);
    return workflow;
  }

  /** The workflow, whoever asks (for services); 404 when there is none. */
  async findAny(id: string): Promise<Workflow> {
    const workflow = await this.documents.get<Workflow>(WORKFLOWS, id);
    if (!workflow) throw new NotFoundException(`Workflow ${id} not found`);
    return workflow;
  }

  /** The workflow, if `user` may see it (its starter or an approver); 404 otherwise. */
  async findVisible(user: AuthUser, id: string): Promise<Workflow> {
    const workflow = await this.findAny(id);
    if (!maySee(workflow, user.id)) throw new NotFoundException(`Workflow ${id} not found`);
    return workflow;
  }

  /**
   * `GET /workflows`: newest first, the workflows `user` may decide (role `approver`),
   * started (`starter`), or either (no role), optionally only those in one status.
   */
  async list(user: AuthUser, query: ListWorkflowsQuery): Promise<{ items: Workflow[] }> {
    const keys = workflowQuery(user.id, query.role, query.status);
    const limit = query.limit ?? DEFAULT_LIMIT;
    return { items: await this.documents.list<Workflow>(WORKFLOWS, { ...keys, limit }) };
  }

  /** The first approval or rejection decides; the check and the write are one atomic update. */
  async decide(
    user: AuthUser,
    id: string,
    decision: 'approved' | 'rejected',
    comment: string | null,
  ): Promise<Workflow> {
    const updated = await this.documents.update<Workflow>(
      WORKFLOWS,
      id,
      (current) => {
        const pending = assertMayDecide(current, id, user.id);
        const at = new Date().toISOString();
        return {
          ...pending,
          status: decision,
          decision: { userId: user.id, decision, comment, at },
          updatedAt: at,
        };
      },
      workflowIndexKeys,
    );
    await this.announce(`workflow.${decision}`, updated, user, comment);
    return updated;
  }

  async cancel(user: AuthUser, id: string): Promise<Workflow> {
    const updated = await this.documents.update<Workflow>(
      WORKFLOWS,
      id,
      (current) => ({
        ...assertMayCancel(current, id, user.id),
        status: 'cancelled',
        updatedAt: new Date().toISOString(),
      }),
      workflowIndexKeys,
    );
    await this.announce('workflow.cancelled', updated, user, null);
    return updated;
  }

  private announce(
    name: Extract<DomainEventName, `workflow.${string}`>,
    workflow: Workflow,
    actor: AuthUser,
    comment: string | null,
  ): Promise<unknown[]> {
    const event: WorkflowEvent = {
      actor: { id: actor.id, name: actor.name },
      workflowId: workflow.id,
      name: workflow.name,
      starterId: workflow.starterId,
      approvers: workflow.approvers,
      comment,
    };
    return this.events.emit(name, event);
  }
}
