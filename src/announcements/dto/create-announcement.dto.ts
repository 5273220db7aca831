import { ApiProperty } from '@nestjs/swagger';
import { IsText } from '../../common-validation.js';

export class CreateAnnouncementDto {
  @ApiProperty({ minLength: 1, maxLength: 500, example: 'Deploy at 5' })
  @IsText(500)
  title!: string;

  @ApiProperty({ minLength: 1, maxLength: 10000, example: 'Expect a blip' })
  @IsText(10000)
  body!: string;
}
