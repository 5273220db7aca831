import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsNotIn,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { BROADCAST, CONTROL_EVENT_TYPES, NOTIFICATION_TYPE_PATTERN } from '../notification.js';
import { IsOptionalNotNull } from '../../common-validation.js';

/** Up to this many recipients in one request; more is a broadcast or several requests. */
export const MAX_RECIPIENTS = 1000;
/** The longest user id a list may hold (as everywhere user ids are listed). */
const MAX_USER_ID_LENGTH = 200;

export class PublishNotificationDto {
  /** User ids, or "*" for a broadcast to every user but the caller. */
  @ApiProperty({
    oneOf: [
      { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_RECIPIENTS },
      { type: 'string', enum: [BROADCAST] },
    ],
    description:
      'Distinct user ids (never "*"), or "*" for a broadcast to every user but the caller',
    example: ['alice'],
  })
  @IsRecipients()
  recipients!: string[] | typeof BROADCAST;

  @ApiProperty({
    pattern: NOTIFICATION_TYPE_PATTERN.source,
    description: `The SSE event name; not a control event's (${CONTROL_EVENT_TYPES.join(', ')})`,
    example: 'invoice.paid',
  })
  @IsString()
  @Matches(NOTIFICATION_TYPE_PATTERN, {
    message: 'type must be 1 to 100 letters, digits, ".", "_" or "-"',
  })
  @IsNotIn(CONTROL_EVENT_TYPES, {
    message: `type must not be a control event's name (${CONTROL_EVENT_TYPES.join(', ')})`,
  })
  type!: string;

  @ApiProperty({ minLength: 1, maxLength: 500, example: 'Invoice paid' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  title!: string;

  @ApiPropertyOptional({ maxLength: 10000, default: '' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(10000)
  body?: string;

  /**
   * Kept exactly as parsed: class-transformer would otherwise rebuild it and drop keys
   * such as "constructor" or "prototype" at any depth.
   */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    default: {},
    description: 'Any JSON object, delivered as sent',
  })
  @IsOptionalNotNull()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.data, { toClassOnly: true })
  @IsObject()
  data?: Record<string, unknown>;
}

function IsRecipients(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRecipients',
      validator: {
        validate: (value: unknown) =>
          value === BROADCAST ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.length <= MAX_RECIPIENTS &&
            new Set(value).size === value.length &&
            value.every(
              (id) =>
                typeof id === 'string' &&
                id.length > 0 &&
                id.length <= MAX_USER_ID_LENGTH &&
                id !== BROADCAST,
            )),
        defaultMessage: () =>
          `recipients must be "*" or an array of 1 to ${MAX_RECIPIENTS} distinct user ids (non-empty strings of at most ${MAX_USER_ID_LENGTH} characters, other than "*")`,
      },
    },
    options,
  );
}
