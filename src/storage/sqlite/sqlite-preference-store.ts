import { Injectable } from '@nestjs/common';
import { LocalLiveFeed } from '../memory/local-live-feed.js';
import { PreferenceStore } from '../preference-store.js';
import { SqliteDatabase } from './sqlite-database.js';
import { settle } from './settle.js';

/**
 * The embedded {@link PreferenceStore}: one row per user and muted type. A change hands
 * the user's muted set to the in-process feed once committed.
 */
@Injectable()
export class SqlitePreferenceStore extends PreferenceStore {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly feed: LocalLiveFeed,
  ) {
    super();
    this.statements = prepare(database);
  }

  mutedTypes(userId: string): Promise<string[]> {
    return settle(() => this.muted(userId));
  }

  async setTypes(userId: string, changes: Readonly<Record<string, boolean>>): Promise<string[]> {
    const muted = await settle(() =>
      this.database.db.transaction(() => {
        for (const [type, on] of Object.entries(changes)) {
          (on ? this.statements.unmute : this.statements.mute).run({ user: userId, type });
        }
        return this.muted(userId);
      })(),
    );
    this.feed.preferencesChanged(userId, muted);
    return muted;
  }

  private muted(userId: string): string[] {
    return (this.statements.muted.all({ user: userId }) as { type: string }[]).map(
      ({ type }) => type,
    );
  }
}

function prepare({ db }: SqliteDatabase) {
  return {
    // BINARY collation: the same order as the Redis store's JavaScript sort.
    muted: db.prepare(`SELECT type FROM muted_types WHERE user_id = @user ORDER BY type`),
    mute: db.prepare(`INSERT OR IGNORE INTO muted_types (user_id, type) VALUES (@user, @type)`),
    unmute: db.prepare(`DELETE FROM muted_types WHERE user_id = @user AND type = @type`),
  };
}
