export type WorkflowStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';

export interface WorkflowDecision {
  userId: string;
  decision: 'approved' | 'rejected';
  comment: string | null;
  at: string;
}

export interface Workflow {
  id: string;
  name: string;
  starterId: string;
  /** Who may decide; null means any user but the starter. */
  approvers: string[] | null;
  status: WorkflowStatus;
  decision: WorkflowDecision | null;
  createdAt: string;
  updatedAt: string;
}
