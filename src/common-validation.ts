import { applyDecorators } from '@nestjs/common';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsNotIn,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';

/** `*` means "everyone" in recipient fields, so it is never a user id in a list. */
const NOT_A_USER_ID = ['*'];

/** A list of 1 to `max` distinct user ids. */
export const IsUserIdList = (max: number) =>
  applyDecorators(
    IsArray(),
    ArrayNotEmpty(),
    ArrayMaxSize(max),
    ArrayUnique(),
    IsString({ each: true }),
    MinLength(1, { each: true }),
    MaxLength(200, { each: true }),
    IsNotIn(NOT_A_USER_ID, {
      each: true,
      message: ({ property }) => `${property} must list user ids; "*" is not one`,
    }),
  );

/** A required, non-empty string of at most `max` characters. */
export const IsText = (max: number) => applyDecorators(IsString(), MinLength(1), MaxLength(max));

/**
 * An optional body field: it may be left out, but when present it must be valid, `null`
 * included. class-validator's IsOptional skips `null` too, and a `"to": null` would then
 * be taken for an absent `to`: a broadcast to every user.
 */
export const IsOptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);
