import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsText, IsUserIdList, IsOptionalNotNull } from '../../common-validation.js';

export class CreateMessageDto {
  @ApiProperty({ minLength: 1, maxLength: 10000, example: 'Lunch?' })
  @IsText(10000)
  text!: string;

  /** Recipients; absent means every other user. */
  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: 1000,
    uniqueItems: true,
    example: ['bob'],
    description: 'User ids (never "*"); absent: a broadcast to every other user',
  })
  @IsOptionalNotNull()
  @IsUserIdList(1000)
  to?: string[];
}
