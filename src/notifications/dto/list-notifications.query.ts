import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { CURSOR_PATTERN } from '../../cursor.js';
import { NOTIFICATION_TYPE_PATTERN } from '../notification.js';

/** At most this many types in `?type=`. */
export const MAX_TYPE_FILTER = 50;

/** `true`/`false` as booleans; anything else is left for the validator to refuse. */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

/** `a,b` (or `type=a&type=b`) as a list; the validator refuses what is not a type. */
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' || Array.isArray(value)
    ? ([] as unknown[])
        .concat(value)
        .flatMap((part) => (typeof part === 'string' ? part.split(',') : [part]))
    : value;

const TYPE_LIST_MESSAGE =
  'type must be a comma-separated list of notification types (letters, digits, ".", "_", "-")';

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
  @Transform(toBoolean)
  @IsBoolean({ message: 'unread must be true or false' })
  unread?: boolean;

  /** Only archived notifications (true); the default listing leaves them out. */
  @ApiPropertyOptional({
    type: Boolean,
    description: 'true: only archived notifications; by default they are left out',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'archived must be true or false' })
  archived?: boolean;

  /** Only these types. */
  @ApiPropertyOptional({
    type: String,
    description: `Only these types, comma-separated (at most ${MAX_TYPE_FILTER}), e.g. invoice.paid,message.created`,
    example: 'invoice.paid,message.created',
  })
  @IsOptional()
  @Transform(toList)
  @IsArray({ message: TYPE_LIST_MESSAGE })
  @ArrayMaxSize(MAX_TYPE_FILTER, { message: `type may list at most ${MAX_TYPE_FILTER} types` })
  @Matches(NOTIFICATION_TYPE_PATTERN, { each: true, message: TYPE_LIST_MESSAGE })
  type?: string[];

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
