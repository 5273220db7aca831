import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsText, IsUserIdList, IsOptionalNotNull } from '../../common-validation.js';

export class StartWorkflowDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Expense report #42' })
  @IsText(200)
  name!: string;

  /** Who may decide; absent means any other user. */
  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    example: ['bob'],
    description: 'User ids who may decide; absent: any other user',
  })
  @IsOptionalNotNull()
  @IsUserIdList(100)
  approvers?: string[];
}
