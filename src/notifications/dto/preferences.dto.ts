import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { CONTROL_EVENT_TYPES, NOTIFICATION_TYPE_PATTERN } from '../notification.js';

/** Types that cannot be turned off: announcements reach everyone (CONTRACT.md, "The inbox"). */
export const ALWAYS_ON_TYPES: readonly string[] = ['announcement'];

/** At most this many types in one change. */
export const MAX_PREFERENCE_CHANGES = 200;

const TYPES_EXAMPLE = { 'invoice.paid': false, 'message.created': true };

/** The answer of `GET` and `PUT /notifications/preferences`, and the `preferences` event's data. */
export class PreferencesDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'boolean' },
    description:
      'Every known type (GET /notifications/types) and every type turned off: true unless turned off',
    example: TYPES_EXAMPLE,
  })
  types!: Record<string, boolean>;
}

/** `PUT /notifications/preferences`: merged into the caller's preferences. */
export class UpdatePreferencesDto {
  /** Kept as parsed: class-transformer would rebuild the map and could drop keys. */
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'boolean' },
    description:
      'Types to turn on (true) or off (false); any valid type name, also one not published yet. ' +
      '`announcement` cannot be turned off. Types not named keep their setting.',
    example: { 'invoice.paid': false },
  })
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.types, { toClassOnly: true })
  @IsTypeSettings()
  types!: Record<string, boolean>;
}

/** What is wrong with a `types` map, or null. */
export function typeSettingsProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'types must be an object mapping notification types to true or false';
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_PREFERENCE_CHANGES) {
    return `types may name at most ${MAX_PREFERENCE_CHANGES} types at once`;
  }
  for (const [type, on] of entries) {
    const name = JSON.stringify(type.slice(0, 100));
    if (!NOTIFICATION_TYPE_PATTERN.test(type) || CONTROL_EVENT_TYPES.includes(type)) {
      return `types: ${name} is not a notification type (1 to 100 letters, digits, ".", "_" or "-", not a control event's name)`;
    }
    if (typeof on !== 'boolean') return `types: ${name} must be true or false`;
    if (!on && ALWAYS_ON_TYPES.includes(type)) return `types: ${name} cannot be turned off`;
  }
  return null;
}

function IsTypeSettings(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTypeSettings',
      validator: {
        validate: (value: unknown) => typeSettingsProblem(value) === null,
        defaultMessage: (args) => typeSettingsProblem(args?.value) ?? 'types is invalid',
      },
    },
    options,
  );
}
