import { IsOptional } from 'class-validator';
import { IsText, IsUserIdList } from '../../common-validation.js';

export class StartWorkflowDto {
  @IsText(200)
  name!: string;

  /** Who may decide; absent means any other user. */
  @IsOptional()
  @IsUserIdList(100)
  approvers?: string[];
}
