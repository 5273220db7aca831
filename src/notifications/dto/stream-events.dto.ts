import { ApiProperty } from '@nestjs/swagger';

/** The `data:` of the control events (no `id:` line); documentation only. */
export class ResetEventDto {
  @ApiProperty({ example: 'The Last-Event-ID is older than the notifications kept' })
  reason!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "The user's latest cursor: reload the inbox over REST, then resume from it",
  })
  latestId!: string | null;
}

export class TokenExpiringEventDto {
  @ApiProperty({ format: 'date-time', description: "The token's exp: the stream ends then" })
  expiresAt!: string;
}
