import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { PublishRateLimited } from '../limits/publish-throttler.guard.js';
import { CancelWorkflowDto } from './dto/cancel-workflow.dto.js';
import { DecideWorkflowDto } from './dto/decide-workflow.dto.js';
import { ListWorkflowsQuery } from './dto/list-workflows.query.js';
import { StartWorkflowDto } from './dto/start-workflow.dto.js';
import type { Workflow } from './workflow.js';
import { ApiListWorkflows, ApiReadWorkflow } from './workflows.docs.js';
import { WorkflowsService } from './workflows.service.js';

@ApiTags('workflows')
@Controller('workflows')
export class WorkflowsController {
  constructor(private readonly workflows: WorkflowsService) {}

  @Post()
  @PublishRateLimited()
  @Idempotent()
  start(@CurrentUser() user: AuthUser, @Body() dto: StartWorkflowDto): Promise<Workflow> {
    return this.workflows.start(user, dto);
  }

  @Get()
  @ApiListWorkflows()
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListWorkflowsQuery,
  ): Promise<{ items: Workflow[] }> {
    return this.workflows.list(user, query);
  }

  /** To its starter and those who may decide it; 404 to anyone else, so ids cannot be probed. */
  @Get(':id')
  @ApiReadWorkflow()
  read(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<Workflow> {
    return this.workflows.findVisible(user, id);
  }

  @Post(':id/approve')
  @HttpCode(201)
  @PublishRateLimited()
  @Idempotent()
  approve(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: DecideWorkflowDto,
  ): Promise<Workflow> {
    return this.workflows.decide(user, id, 'approved', dto.comment ?? null);
  }

  @Post(':id/reject')
  @HttpCode(201)
  @PublishRateLimited()
  @Idempotent()
  reject(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: DecideWorkflowDto,
  ): Promise<Workflow> {
    return this.workflows.decide(user, id, 'rejected', dto.comment ?? null);
  }

  @Post(':id/cancel')
  @HttpCode(201)
  @PublishRateLimited()
  @Idempotent()
  cancel(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() _dto: CancelWorkflowDto,
  ): Promise<Workflow> {
    return this.workflows.cancel(user, id);
  }
}
