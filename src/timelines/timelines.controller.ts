import { Body, Controller, Headers, Param, Post, Query, Res, Sse } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { AppendLogsDto } from './dto/append-logs.dto.js';
import { ApiTimelineStream } from './timeline-stream.docs.js';
import { TimelineStreamsService } from './timeline-streams.service.js';
import { TimelineService } from './timeline.service.js';

@Controller('workflows')
export class TimelinesController {
  constructor(
    private readonly timelines: TimelineService,
    private readonly streams: TimelineStreamsService,
  ) {}

  /** The workflow's timeline, replayed then live, ending with `event: end` (CONTRACT.md, "Resource streams"). */
  @Sse(':id/stream')
  @ApiTimelineStream()
  stream(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Res({ passthrough: true }) response: Response,
    @Headers('last-event-id') header?: string,
    @Query('lastEventId') query?: unknown,
  ): Promise<Observable<never>> {
    const cursor = header || (typeof query === 'string' && query) || null;
    return this.streams.open(user, id, response, cursor);
  }

  /** Log lines from automation: the starter or a `service`. */
  @Post(':id/logs')
  @Idempotent()
  appendLogs(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: AppendLogsDto,
  ): Promise<{ count: number }> {
    return this.timelines.appendLogs(user, id, dto.lines);
  }
}
