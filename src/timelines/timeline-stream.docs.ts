import { applyDecorators } from '@nestjs/common';
import { ApiNotFoundResponse, ApiProperty, ApiQuery } from '@nestjs/swagger';
import { ApiEventStream, type EventStreamDoc } from '../docs/api-event-stream.decorator.js';
import { ResetEventDto, TokenExpiringEventDto } from '../notifications/dto/stream-events.dto.js';

/** The `data:` of the timeline's events; documentation only. */
export class WorkflowTimelineEventDto {
  @ApiProperty() workflowId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Who started, approved, rejected or cancelled' }) actorId!: string;
  @ApiProperty({ type: String, nullable: true }) comment!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class LogLineEventDto {
  @ApiProperty() line!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class TimelineEndEventDto {
  @ApiProperty() workflowId!: string;
  @ApiProperty({ enum: ['approved', 'rejected', 'cancelled'] }) status!: string;
}

/** `GET /workflows/:id/stream` (CONTRACT.md, "Resource streams"): OpenAPI and AsyncAPI. */
export const TIMELINE_STREAM_DOC: EventStreamDoc = {
  channel: 'workflowTimeline',
  path: '/workflows/{id}/stream',
  parameters: { id: 'The workflow id' },
  summary: "A workflow's timeline, like a build log (Server-Sent Events)",
  description:
    'Replays the timeline from its start (or after `Last-Event-ID` / `?lastEventId=`), goes live, ' +
    'and once the workflow is approved, rejected or cancelled sends `end` and closes. ' +
    'A Last-Event-ID that is not a cursor of this workflow gets `reset`, then the whole timeline. ' +
    'For the starter and the approvers only.',
  resumable: true,
  events: [
    {
      names: ['workflow.started', 'workflow.approved', 'workflow.rejected', 'workflow.cancelled'],
      model: WorkflowTimelineEventDto,
      hasId: true,
      description: '`id:` is the cursor within the workflow (1, 2, 3...)',
    },
    {
      names: ['log'],
      model: LogLineEventDto,
      hasId: true,
      description: 'A line from automation',
    },
    {
      names: ['reset'],
      model: ResetEventDto,
      hasId: false,
      description:
        "The Last-Event-ID is malformed or not one of this workflow's cursors; `latestId` is " +
        "the workflow's latest; the whole timeline follows",
    },
    {
      names: ['end'],
      model: TimelineEndEventDto,
      hasId: false,
      description: 'The workflow is finished; the stream closes',
    },
    {
      names: ['token-expiring'],
      model: TokenExpiringEventDto,
      hasId: false,
      description: "30 s before the token's exp (at once if less is left); the stream ends at exp",
    },
  ],
  example:
    'retry: 3000\n\nid: 1\nevent: workflow.started\ndata: {"workflowId":"7f3c…","name":"Release 1.2","actorId":"alice","comment":null,"at":"2026-12-06T10:00:00.000Z"}\n\n' +
    'id: 2\nevent: log\ndata: {"line":"building","at":"2026-12-06T10:00:01.000Z"}\n\n',
};

/** The OpenAPI description of `GET /workflows/:id/stream`. */
export const ApiTimelineStream = () =>
  applyDecorators(
    ApiEventStream(TIMELINE_STREAM_DOC),
    ApiQuery({ name: 'lastEventId', required: false, type: String }),
    ApiNotFoundResponse({ description: 'No such workflow, or the caller may not see it' }),
  );
