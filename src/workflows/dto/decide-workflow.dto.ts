import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common-validation.js';

export class DecideWorkflowDto {
  @ApiPropertyOptional({
    maxLength: 2000,
    description: "Sent to the starter as the notification's body",
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}
