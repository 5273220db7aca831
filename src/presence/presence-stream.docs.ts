import { ApiProperty } from '@nestjs/swagger';
import { ApiEventStream } from '../docs/api-event-stream.decorator.js';
import { TokenExpiringEventDto } from '../notifications/dto/stream-events.dto.js';

/** The `data:` of presence events; documentation only. */
export class PresenceUserEventDto {
  @ApiProperty() userId!: string;
}

export class PresenceMoveEventDto {
  @ApiProperty() userId!: string;
  @ApiProperty() x!: number;
  @ApiProperty() y!: number;
}

export class PresenceSnapshotEventDto {
  @ApiProperty({ type: [PresenceMoveEventDto] }) users!: PresenceMoveEventDto[];
}

/** The OpenAPI description of `GET /documents/:id/presence/stream` (CONTRACT.md, "Resource streams"). */
export const ApiPresenceStream = () =>
  ApiEventStream({
    summary: 'Who is on a shared document, and where (Server-Sent Events)',
    description:
      'First `snapshot`, then `join`, `move` and `leave` of the other users. Two tabs of a user are one ' +
      'presence; moves are coalesced to one per user every 50 ms, keeping the last position. Ephemeral: ' +
      'never in the inbox, no `id:` lines, nothing to resume.',
    resumable: false,
    events: [
      {
        event: 'snapshot',
        model: PresenceSnapshotEventDto,
        hasId: false,
        description: 'First, once',
      },
      {
        event: 'join',
        model: PresenceUserEventDto,
        hasId: false,
        description: "A user's first stream on the document opened",
      },
      { event: 'move', model: PresenceMoveEventDto, hasId: false, description: 'A new position' },
      {
        event: 'leave',
        model: PresenceUserEventDto,
        hasId: false,
        description: "A user's last stream on the document closed",
      },
      {
        event: 'token-expiring',
        model: TokenExpiringEventDto,
        hasId: false,
        description: "30 s before the token's exp; the stream ends at exp",
      },
    ],
  });
