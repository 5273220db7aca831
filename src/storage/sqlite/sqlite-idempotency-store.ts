import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  IdempotencyStore,
  type IdempotencyClaim,
  type StoredAnswer,
} from '../idempotency-store.js';
import { settle } from './settle.js';
import { SqliteDatabase } from './sqlite-database.js';

/**
 * Kept here rather than in the shared schema: only this store reads or writes it.
 * `answer` is null while the claim is pending; `expires_at` (ms since the epoch) is the
 * end of the lease, then of the time to live.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    token TEXT NOT NULL,
    answer TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at);
`;

/** Expired rows are deleted at most this often, by the next claim. */
const PRUNE_EVERY_MS = 60_000;

interface Row {
  fingerprint: string;
  token: string;
  answer: string | null;
}

/**
 * The embedded {@link IdempotencyStore}. better-sqlite3 is synchronous, so a claim (the
 * insert that fails on an existing key, then the read) runs with nothing in between;
 * the file keeps the keys across restarts.
 */
@Injectable()
export class SqliteIdempotencyStore extends IdempotencyStore {
  private readonly deleteExpired;
  private readonly deleteOneExpired;
  private readonly insert;
  private readonly select;
  private readonly finish;
  private readonly remove;
  private nextPruneAt = 0;

  constructor(private readonly database: SqliteDatabase) {
    super();
    const { db } = database;
    db.exec(SCHEMA);
    this.deleteExpired = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= @now');
    this.deleteOneExpired = db.prepare(
      'DELETE FROM idempotency_keys WHERE scope = @scope AND key = @key AND expires_at <= @now',
    );
    this.insert = db.prepare(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, token, answer, expires_at)
       VALUES (@scope, @key, @fingerprint, @token, NULL, @expiresAt)
       ON CONFLICT (scope, key) DO NOTHING`,
    );
    this.select = db.prepare<{ scope: string; key: string }, Row>(
      'SELECT fingerprint, token, answer FROM idempotency_keys WHERE scope = @scope AND key = @key',
    );
    this.finish = db.prepare(
      `UPDATE idempotency_keys SET answer = @answer, expires_at = @expiresAt
       WHERE scope = @scope AND key = @key AND token = @token`,
    );
    this.remove = db.prepare(
      'DELETE FROM idempotency_keys WHERE scope = @scope AND key = @key AND token = @token',
    );
  }

  claim(
    scope: string,
    key: string,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyClaim> {
    return settle(() =>
      this.database.db.transaction((): IdempotencyClaim => {
        const now = Date.now();
        this.prune(now);
        this.deleteOneExpired.run({ scope, key, now });
        const token = randomUUID();
        const inserted = this.insert.run({
          scope,
          key,
          fingerprint,
          token,
          expiresAt: now + leaseMs,
        });
        if (inserted.changes === 1) return { state: 'claimed', token };
        const row = this.select.get({ scope, key })!;
        return row.answer === null
          ? { state: 'pending', fingerprint: row.fingerprint }
          : {
              state: 'done',
              fingerprint: row.fingerprint,
              answer: JSON.parse(row.answer) as StoredAnswer,
            };
      })(),
    );
  }

  complete(
    scope: string,
    key: string,
    token: string,
    _fingerprint: string,
    answer: StoredAnswer,
    ttlMs: number,
  ): Promise<void> {
    return settle(() => {
      const expiresAt = Date.now() + ttlMs;
      this.finish.run({ scope, key, token, answer: JSON.stringify(answer), expiresAt });
    });
  }

  release(scope: string, key: string, token: string): Promise<void> {
    return settle(() => {
      this.remove.run({ scope, key, token });
    });
  }

  /** Keeps the table to the keys of the last 24 hours without a job of its own. */
  private prune(now: number): void {
    if (now < this.nextPruneAt) return;
    this.nextPruneAt = now + PRUNE_EVERY_MS;
    this.deleteExpired.run({ now });
  }
}
