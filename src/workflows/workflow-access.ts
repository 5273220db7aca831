import { ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import type { Workflow } from './workflow.js';

/**
 * Who may do what to a workflow (CONTRACT.md, "Publishing"). Someone who may not
 * see a workflow gets 404 rather than 403, so that ids cannot be probed.
 */
export function maySee(workflow: Workflow, userId: string): boolean {
  return (
    workflow.starterId === userId ||
    workflow.approvers === null ||
    workflow.approvers.includes(userId)
  );
}

/** The first approval or rejection decides the workflow. */
export function assertMayDecide(workflow: Workflow | null, id: string, userId: string) {
  const visible = assertVisible(workflow, id, userId);
  if (visible.starterId === userId) {
    throw new ForbiddenException(`The starter cannot approve or reject workflow ${id}`);
  }
  assertPending(visible);
  return visible;
}

export function assertMayCancel(workflow: Workflow | null, id: string, userId: string) {
  const visible = assertVisible(workflow, id, userId);
  if (visible.starterId !== userId) {
    throw new ForbiddenException(`Only the starter can cancel workflow ${id}`);
  }
  assertPending(visible);
  return visible;
}

function assertVisible(workflow: Workflow | null, id: string, userId: string): Workflow {
  if (!workflow || !maySee(workflow, userId)) {
    throw new NotFoundException(`Workflow ${id} not found`);
  }
  return workflow;
}

function assertPending(workflow: Workflow): void {
  if (workflow.status !== 'pending') {
    throw new ConflictException(`Workflow ${workflow.id} is already ${workflow.status}`);
  }
}
