import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsString, ValidateBy } from 'class-validator';

/** Lines per request and bytes per line (issue: "at most 1,000 lines, each at most 4 KiB"). */
export const MAX_LOG_LINES = 1000;
export const MAX_LOG_LINE_BYTES = 4096;

export class AppendLogsDto {
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_LOG_LINES)
  @IsString({ each: true })
  @ValidateBy({
    name: 'maxLineBytes',
    validator: {
      validate: (lines: unknown) =>
        Array.isArray(lines) &&
        lines.every(
          (line) => typeof line !== 'string' || Buffer.byteLength(line) <= MAX_LOG_LINE_BYTES,
        ),
      defaultMessage: () => `lines must each be at most ${MAX_LOG_LINE_BYTES} bytes (UTF-8)`,
    },
  })
  lines!: string[];
}
