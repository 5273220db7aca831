import { IsOptional } from 'class-validator';
import { IsText, IsUserIdList } from '../../common-validation.js';

export class CreateMessageDto {
  @IsText(10000)
  text!: string;

  /** Recipients; absent means every other user. */
  @IsOptional()
  @IsUserIdList(1000)
  to?: string[];
}
