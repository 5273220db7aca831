import { ApiProperty } from '@nestjs/swagger';
import { ApiEventStream, type EventStreamDoc } from '../docs/api-event-stream.decorator.js';
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

/** `GET /documents/:id/presence/stream` (CONTRACT.md, "Resource streams"): OpenAPI and AsyncAPI. */
export const PRESENCE_STREAM_DOC: EventStreamDoc = {
  channel: 'documentPresence',
  path: '/documents/{id}/presence/stream',
  parameters: { id: 'The document id: 1 to 128 of A-Z, a-z, 0-9, ".", "_", "-"' },
  summary: 'Who is on a shared document, and where (Server-Sent Events)',
  description:
    'First `snapshot`, then `join`, `move` and `leave` of the other users. Two tabs of a user are one ' +
    'presence; moves are coalesced to one per user every 50 ms, keeping the last position. Ephemeral: ' +
    'never in the inbox, no `id:` lines, nothing to resume.',
  resumable: false,
  events: [
    {
      names: ['snapshot'],
      model: PresenceSnapshotEventDto,
      hasId: false,
      description: 'First, once: the present users whose position is known',
    },
    {
      names: ['join'],
      model: PresenceUserEventDto,
      hasId: false,
      description: "A user's first stream on the document opened",
    },
    { names: ['move'], model: PresenceMoveEventDto, hasId: false, description: 'A new position' },
    {
      names: ['leave'],
      model: PresenceUserEventDto,
      hasId: false,
      description: "A user's last stream on the document closed",
    },
    {
      names: ['token-expiring'],
      model: TokenExpiringEventDto,
      hasId: false,
      description: "30 s before the token's exp (at once if less is left); the stream ends at exp",
    },
  ],
  example:
    'retry: 3000\n\nevent: snapshot\ndata: {"users":[{"userId":"alice","x":120.5,"y":48}]}\n\n' +
    'event: move\ndata: {"userId":"alice","x":130,"y":50}\n\n',
};

/** The OpenAPI description of `GET /documents/:id/presence/stream`. */
export const ApiPresenceStream = () => ApiEventStream(PRESENCE_STREAM_DOC);
