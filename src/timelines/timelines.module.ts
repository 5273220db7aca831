import { Module } from '@nestjs/common';
import { StreamingModule } from '../streaming/streaming.module.js';
import { WorkflowsModule } from '../workflows/workflows.module.js';
import { TimelinesController } from './timelines.controller.js';
import { TimelinesListener } from './timelines.listener.js';
import { TimelineStreamsService } from './timeline-streams.service.js';
import { TimelineService } from './timeline.service.js';

/** Workflow timelines: recorded from workflow events and automation logs, streamed like a build log. */
@Module({
  imports: [StreamingModule, WorkflowsModule],
  controllers: [TimelinesController],
  providers: [TimelineService, TimelinesListener, TimelineStreamsService],
  exports: [TimelineStreamsService],
})
export class TimelinesModule {}
