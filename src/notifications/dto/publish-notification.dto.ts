import {
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { BROADCAST, NOTIFICATION_TYPE_PATTERN } from '../notification.js';

/** Up to this many recipients in one request; more is a broadcast or several requests. */
export const MAX_RECIPIENTS = 1000;

export class PublishNotificationDto {
  /** User ids, or "*" for a broadcast to every user but the caller. */
  @IsRecipients()
  recipients!: string[] | typeof BROADCAST;

  @IsString()
  @Matches(NOTIFICATION_TYPE_PATTERN, {
    message: 'type must be 1 to 100 letters, digits, ".", "_" or "-"',
  })
  type!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(500)
  title!: string;

  @IsOptional()
  @IsString()
  @MaxLength(10000)
  body?: string;

  @IsOptional()
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
            value.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 200)),
        defaultMessage: () =>
          `recipients must be "*" or an array of 1 to ${MAX_RECIPIENTS} user ids (non-empty strings)`,
      },
    },
    options,
  );
}
