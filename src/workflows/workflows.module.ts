import { Module } from '@nestjs/common';
import { DomainEventBus } from '../events/domain-event-bus.js';
import { WorkflowsController } from './workflows.controller.js';
import { WorkflowsService } from './workflows.service.js';

@Module({
  controllers: [WorkflowsController],
  providers: [WorkflowsService, DomainEventBus],
  exports: [WorkflowsService],
})
export class WorkflowsModule {}
