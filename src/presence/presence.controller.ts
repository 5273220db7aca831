import { Body, Controller, HttpCode, Param, Post, Res, Sse } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/decorators.js';
import { DocumentParams } from './dto/document-params.js';
import { MovePresenceDto } from './dto/move-presence.dto.js';
import { ApiPresenceStream } from './presence-stream.docs.js';
import { PresenceService } from './presence.service.js';

/** Live presence on a shared document (CONTRACT.md, "Resource streams"); any authenticated user. */
@Controller('documents/:id/presence')
export class PresenceController {
  constructor(private readonly presence: PresenceService) {}

  /** Moves the caller: relayed as `move` to the document's other watchers, never stored as a notification. */
  @Post()
  @HttpCode(204)
  move(
    @CurrentUser() user: AuthUser,
    @Param() { id }: DocumentParams,
    @Body() dto: MovePresenceDto,
  ): Promise<void> {
    return this.presence.move(user, id, dto);
  }

  /** `snapshot`, then `join`, `move` and `leave`: control events, without `id:`. */
  @Sse('stream')
  @ApiPresenceStream()
  stream(
    @CurrentUser() user: AuthUser,
    @Param() { id }: DocumentParams,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Observable<never>> {
    return this.presence.open(user, id, response);
  }
}
