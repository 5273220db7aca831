import { applyDecorators } from '@nestjs/common';
import { ApiNotFoundResponse, ApiProperty, ApiQuery } from '@nestjs/swagger';
import { ApiEventStream } from '../docs/api-event-stream.decorator.js';
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

/** The OpenAPI description of `GET /workflows/:id/stream` (CONTRACT.md, "Resource streams"). */
export const ApiTimelineStream = () =>
  applyDecorators(
    ApiEventStream({
      summary: "A workflow's timeline, like a build log (Server-Sent Events)",
      description:
        'Replays the timeline from its start (or after `Last-Event-ID` / `?lastEventId=`), goes live, ' +
        'and once the workflow is approved, rejected or cancelled sends `end` and closes. ' +
        'A Last-Event-ID that is not a cursor of this workflow gets `reset`, then the whole timeline. ' +
        'For the starter and the approvers only.',
      resumable: true,
      events: [
        {
          event: 'workflow.started, workflow.approved, workflow.rejected, workflow.cancelled',
          model: WorkflowTimelineEventDto,
          hasId: true,
          description: '`id:` is the cursor within the workflow (1, 2, 3…)',
        },
        {
          event: 'log',
          model: LogLineEventDto,
          hasId: true,
          description: 'A line from automation',
        },
        {
          event: 'reset',
          model: ResetEventDto,
          hasId: false,
          description:
            "The Last-Event-ID is malformed or not one of this workflow's cursors; `latestId` is " +
            "the workflow's latest; the whole timeline follows",
        },
        {
          event: 'end',
          model: TimelineEndEventDto,
          hasId: false,
          description: 'The workflow is finished',
        },
        {
          event: 'token-expiring',
          model: TokenExpiringEventDto,
          hasId: false,
          description: "30 s before the token's exp; the stream ends at exp",
        },
      ],
    }),
    ApiQuery({ name: 'lastEventId', required: false, type: String }),
    ApiNotFoundResponse({ description: 'No such workflow, or the caller may not see it' }),
  );
