import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** The document id of a presence route: it becomes part of Redis key names, so it is kept plain. */
export class DocumentParams {
  @ApiProperty({ pattern: '^[A-Za-z0-9._-]{1,128}$', example: 'spec-2024.v3' })
  @Matches(/^[A-Za-z0-9._-]{1,128}$/, {
    message: 'id (the document id) must be 1 to 128 of the characters A-Z, a-z, 0-9, ".", "_", "-"',
  })
  id!: string;
}
