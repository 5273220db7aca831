import { applyDecorators } from '@nestjs/common';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';

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
  );

/** A required, non-empty string of at most `max` characters. */
export const IsText = (max: number) => applyDecorators(IsString(), MinLength(1), MaxLength(max));
