import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class DecideWorkflowDto {
  @ApiPropertyOptional({
    maxLength: 2000,
    description: "Sent to the starter as the notification's body",
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}
