import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNotIn,
  Max,
  Min,
} from 'class-validator';
import { IsText, IsOptionalNotNull } from '../../common-validation.js';

export const DEV_TOKEN_ROLES = ['admin', 'service'] as const;

export class DevTokenDto {
  @ApiProperty({ example: 'alice', maxLength: 200 })
  @IsText(200)
  @IsNotIn(['*'], { message: 'userId may not be "*": it means everyone' })
  userId!: string;

  @ApiPropertyOptional({ enum: DEV_TOKEN_ROLES, isArray: true, example: ['admin'] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(DEV_TOKEN_ROLES.length)
  @ArrayUnique()
  @IsIn(DEV_TOKEN_ROLES, { each: true })
  roles?: string[];

  @ApiPropertyOptional({ example: 'Alice', maxLength: 200 })
  @IsOptionalNotNull()
  @IsText(200)
  name?: string;

  @ApiPropertyOptional({ default: 3600, minimum: 10, maximum: 86400 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(10)
  @Max(86400)
  ttlSeconds?: number;
}
