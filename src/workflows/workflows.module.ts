import { Module } from '@nestjs/common';
import { DomainEvents } from '../domain-events.js';
import { WorkflowsController } from './workflows.controller.js';
import { WorkflowsService } from './workflows.service.js';

@Module({
  controllers: [WorkflowsController],
  providers: [WorkflowsService, DomainEvents],
  exports: [WorkflowsService],
})
export class WorkflowsModule {}
