import type { Preferences } from '@notification-hub/client/protocol';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { PreferenceStore } from '../storage/preference-store.js';
import { frameControl } from '../streaming/sse-frame.js';
import type { UpdatePreferencesDto } from './dto/preferences.dto.js';
import { NotificationTypes } from './notification-types.js';

/** The preferences object of the API and of the stream's `preferences` event (the wire shape). */
export type { Preferences };

/**
 * `GET`/`PUT /notifications/preferences` (CONTRACT.md, "The inbox"). The store's write
 * publishes the change, which every instance applies to the user's streams (feed-listener.ts).
 */
@Injectable()
export class PreferencesService {
  constructor(
    private readonly store: PreferenceStore,
    private readonly types: NotificationTypes,
  ) {}

  async get(user: AuthUser): Promise<Preferences> {
    return this.answer(await this.store.mutedTypes(user.id));
  }

  /** Merges; the DTO has refused what may not be changed (`announcement` off, bad names). */
  async update(user: AuthUser, dto: UpdatePreferencesDto): Promise<Preferences> {
    return this.answer(await this.store.setTypes(user.id, dto.types));
  }

  /** Every known type, on unless muted, and the muted types not published yet. */
  answer(muted: readonly string[]): Preferences {
    const off = new Set(muted);
    const names = [...new Set([...this.types.list(), ...muted])].sort();
    return { types: Object.fromEntries(names.map((type) => [type, !off.has(type)])) };
  }

  /** The stream's `preferences` event for a user's muted types. */
  frame(muted: readonly string[]): string {
    return frameControl('preferences', this.answer(muted));
  }
}
