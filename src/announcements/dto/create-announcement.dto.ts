import { IsText } from '../../common-validation.js';

export class CreateAnnouncementDto {
  @IsText(500)
  title!: string;

  @IsText(10000)
  body!: string;
}
