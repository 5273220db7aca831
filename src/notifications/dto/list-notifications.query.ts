import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { CURSOR_PATTERN } from '../../cursor.js';

export class ListNotificationsQuery {
  /** The token may come in the query (CONTRACT.md, "Tokens"); the guard reads it, not the route. */
  @ApiPropertyOptional({
    description: 'The JWT, for clients that cannot send headers (prefer Authorization: Bearer)',
  })
  @IsOptional()
  @IsString()
  access_token?: string;

  /** Only unread notifications. */
  @ApiPropertyOptional({ type: Boolean, description: 'Only unread notifications' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'unread must be true or false' })
  unread?: boolean;

  /** A cursor: only notifications older than it (the previous page's nextBefore). */
  @ApiPropertyOptional({
    pattern: CURSOR_PATTERN.source,
    description: "Only notifications older than this cursor: the previous page's nextBefore",
  })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'before must be a cursor (a previous nextBefore)' })
  before?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 100' })
  @Min(1, { message: 'limit must be a whole number from 1 to 100' })
  @Max(100, { message: 'limit must be a whole number from 1 to 100' })
  limit?: number;
}
