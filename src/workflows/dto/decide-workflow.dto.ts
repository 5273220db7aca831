import { IsOptional, IsString, MaxLength } from 'class-validator';

export class DecideWorkflowDto {
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}
