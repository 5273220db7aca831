import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import type { WorkflowRole } from '../workflow-index.js';
import type { WorkflowStatus } from '../workflow.js';

const ROLES: WorkflowRole[] = ['approver', 'starter'];
const STATUSES: WorkflowStatus[] = ['pending', 'approved', 'rejected', 'cancelled'];
const LIMIT = 'limit must be a whole number from 1 to 100';

export class ListWorkflowsQuery {
  /** The token may come in the query (CONTRACT.md, "Tokens"); the guard reads it, not the route. */
  @ApiPropertyOptional({
    description: 'The JWT, for clients that cannot send headers (prefer Authorization: Bearer)',
  })
  @IsOptional()
  @IsString()
  access_token?: string;

  @ApiPropertyOptional({
    enum: ROLES,
    description:
      'approver: the workflows the caller may decide; starter: those they started; ' +
      'absent: both (every workflow they may see)',
  })
  @IsOptional()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: WorkflowRole;

  @ApiPropertyOptional({ enum: STATUSES, description: 'Only workflows in this status' })
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: WorkflowStatus;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT })
  @Min(1, { message: LIMIT })
  @Max(100, { message: LIMIT })
  limit?: number;
}
