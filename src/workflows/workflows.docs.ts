import { applyDecorators } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import type { Workflow, WorkflowDecision } from './workflow.js';

/** `decision` of a workflow; documentation only, the service sends the stored object. */
export class WorkflowDecisionDto implements WorkflowDecision {
  @ApiProperty({ description: 'Who approved or rejected', example: 'bob' })
  userId!: string;

  @ApiProperty({ enum: ['approved', 'rejected'] })
  decision!: 'approved' | 'rejected';

  @ApiProperty({ type: String, nullable: true })
  comment!: string | null;

  @ApiProperty({ format: 'date-time' })
  at!: string;
}

/** A workflow as the routes answer it (CONTRACT.md, "Publishing", "Reading workflows"). */
export class WorkflowDto implements Workflow {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Expense report #42' })
  name!: string;

  @ApiProperty({ example: 'alice' })
  starterId!: string;

  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'Who may decide; null: any user but the starter',
    example: ['bob'],
  })
  approvers!: string[] | null;

  @ApiProperty({ enum: ['pending', 'approved', 'rejected', 'cancelled'] })
  status!: Workflow['status'];

  @ApiProperty({
    type: WorkflowDecisionDto,
    nullable: true,
    description: 'The approval or rejection; null while pending and when cancelled',
  })
  decision!: WorkflowDecisionDto | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'createdAt, until it is decided or cancelled' })
  updatedAt!: string;
}

export class WorkflowListDto {
  @ApiProperty({ type: [WorkflowDto], description: 'Newest first' })
  items!: WorkflowDto[];
}

/** `GET /workflows/:id`. */
export const ApiReadWorkflow = () =>
  applyDecorators(
    ApiOkResponse({ type: WorkflowDto }),
    ApiNotFoundResponse({
      description: 'No such workflow, or the caller is neither its starter nor may decide it',
    }),
  );

/** `GET /workflows`. */
export const ApiListWorkflows = () =>
  applyDecorators(
    ApiOkResponse({
      type: WorkflowListDto,
      description: 'The workflows the caller may decide (role=approver) or started (role=starter)',
    }),
  );
