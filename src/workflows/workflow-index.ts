import type { Workflow, WorkflowStatus } from './workflow.js';

/**
 * The index keys a workflow is filed under in the document store, so that
 * `GET /workflows` reads one page of an index instead of every workflow: by starter, by
 * approver, and `open` for those without approvers (any user but the starter may decide
 * them), each also per status. User ids are encoded, so that none can contain the `:`
 * that separates a status.
 */
export function workflowIndexKeys(workflow: Workflow): string[] {
  const { starterId, approvers, status } = workflow;
  const deciders = approvers === null ? [OPEN] : approvers.map((id) => approverKey(id));
  return [starterKey(starterId), ...deciders].flatMap((key) => [key, `${key}:${status}`]);
}

const OPEN = 'open';
const starterKey = (userId: string) => `starter:${encodeURIComponent(userId)}`;
const approverKey = (userId: string) => `approver:${encodeURIComponent(userId)}`;
const withStatus = (key: string, status: WorkflowStatus | undefined) =>
  status === undefined ? key : `${key}:${status}`;

export type WorkflowRole = 'starter' | 'approver';

/**
 * Which keys hold the workflows a user started (`starter`), may decide (`approver`:
 * named as an approver or open to all, but not started by them, since a starter never
 * decides), or either (no role: every workflow they may see).
 */
export function workflowQuery(
  userId: string,
  role: WorkflowRole | undefined,
  status: WorkflowStatus | undefined,
): { anyOf: string[]; noneOf: string[] } {
  const started = withStatus(starterKey(userId), status);
  const decidable = [withStatus(approverKey(userId), status), withStatus(OPEN, status)];
  switch (role) {
    case 'starter':
      return { anyOf: [started], noneOf: [] };
    case 'approver':
      return { anyOf: decidable, noneOf: [starterKey(userId)] };
    default:
      return { anyOf: [started, ...decidable], noneOf: [] };
  }
}
