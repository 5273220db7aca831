import { ApiProperty } from '@nestjs/swagger';
import { IsNumber } from 'class-validator';

/** Finite numbers only: JSON has no NaN, but 1e999 parses to Infinity. Strings are refused. */
const FINITE = { allowNaN: false, allowInfinity: false } as const;

/** `POST /documents/:id/presence`: the caller's position on the document. */
export class MovePresenceDto {
  @ApiProperty({ example: 120.5 })
  @IsNumber(FINITE, { message: 'x must be a finite number' })
  x!: number;

  @ApiProperty({ example: 48 })
  @IsNumber(FINITE, { message: 'y must be a finite number' })
  y!: number;
}
