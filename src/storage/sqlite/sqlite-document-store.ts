import { Injectable } from '@nestjs/common';
import { DocumentStore, type IndexKeys, type IndexQuery } from '../document-store.js';
import { SqliteDatabase } from './sqlite-database.js';
import { settle } from './settle.js';

/** The store_meta row counting insertions of indexed documents: their order in listings. */
const SEQUENCE = 'document_seq';

/**
 * The embedded {@link DocumentStore}: one SQLite table of JSON documents, each with when
 * it was last touched (for {@link DocumentStore.prune}), and one of
 * index entries (collection, id, key, seq) where seq orders a document's entries by
 * insertion; `(collection, key, seq)` is indexed so a listing reads only its keys' rows.
 */
@Injectable()
export class SqliteDocumentStore extends DocumentStore {
  private readonly statements;

  constructor(private readonly database: SqliteDatabase) {
    super();
    const { db } = database;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO documents (collection, id, body, touched_at)
         VALUES (@collection, @id, @body, @now)`,
      ),
      get: db.prepare('SELECT body FROM documents WHERE collection = @collection AND id = @id'),
      replace: db.prepare(
        `INSERT INTO documents (collection, id, body, touched_at)
         VALUES (@collection, @id, @body, @now)
         ON CONFLICT (collection, id) DO UPDATE SET
           body = excluded.body, touched_at = excluded.touched_at`,
      ),
      nextSeq: db.prepare(
        `INSERT INTO store_meta (key, value) VALUES ('${SEQUENCE}', 1)
         ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value`,
      ),
      seqOf: db.prepare(
        'SELECT seq FROM document_index WHERE collection = @collection AND id = @id LIMIT 1',
      ),
      unindex: db.prepare('DELETE FROM document_index WHERE collection = @collection AND id = @id'),
      index: db.prepare(
        `INSERT OR IGNORE INTO document_index (collection, id, key, seq)
         VALUES (@collection, @id, @key, @seq)`,
      ),
      unindexOld: db.prepare(
        `DELETE FROM document_index WHERE (collection, id) IN
           (SELECT collection, id FROM documents WHERE touched_at < @cutoff)`,
      ),
      deleteOld: db.prepare('DELETE FROM documents WHERE touched_at < @cutoff'),
      // Keys travel as JSON arrays: one prepared statement for any number of them.
      list: db.prepare(
        `SELECT d.body FROM (
           SELECT DISTINCT i.seq, i.id FROM document_index i
           WHERE i.collection = @collection
             AND i.key IN (SELECT value FROM json_each(@anyOf))
             AND NOT EXISTS (
               SELECT 1 FROM document_index x
               WHERE x.collection = i.collection AND x.id = i.id
                 AND x.key IN (SELECT value FROM json_each(@noneOf)))
           ORDER BY i.seq DESC LIMIT @limit
         ) page
         JOIN documents d ON d.collection = @collection AND d.id = page.id
         ORDER BY page.seq DESC`,
      ),
    };
  }

  insert<T extends { id: string }>(
    collection: string,
    document: T,
    index?: IndexKeys<T>,
  ): Promise<T> {
    // A local, synchronous write: it ran or it failed, never "unknown", so a retried
    // request has no earlier write to find here.
    return settle(() => {
      this.database.db.transaction(() => {
        const { id } = document;
        const body = JSON.stringify(document);
        this.statements.insert.run({ collection, id, body, now: Date.now() });
        if (index) this.file(collection, id, index(document), null);
      })();
      return document;
    });
  }

  get<T>(collection: string, id: string): Promise<T | null> {
    return settle(() => this.read<T>(collection, id));
  }

  update<T extends { id: string }>(
    collection: string,
    id: string,
    change: (current: T | null) => T,
    index?: IndexKeys<T>,
  ): Promise<T> {
    // A synchronous transaction: nothing else runs between the read and the write.
    return settle(() =>
      this.database.db.transaction(() => {
        const updated = change(this.read<T>(collection, id));
        const body = JSON.stringify(updated);
        this.statements.replace.run({ collection, id, body, now: Date.now() });
        if (index) {
          const kept = this.statements.seqOf.get({ collection, id }) as { seq: number } | undefined;
          this.statements.unindex.run({ collection, id });
          this.file(collection, id, index(updated), kept?.seq ?? null);
        }
        return updated;
      })(),
    );
  }

  list<T>(collection: string, { anyOf, noneOf = [], limit }: IndexQuery): Promise<T[]> {
    return settle(() => {
      const rows = this.statements.list.all({
        collection,
        anyOf: JSON.stringify(anyOf),
        noneOf: JSON.stringify(noneOf),
        limit,
      }) as { body: string }[];
      return rows.map((row) => JSON.parse(row.body) as T);
    });
  }

  /** Deletes the documents last touched before `cutoff` with their index entries, at once. */
  prune(cutoff: Date): Promise<number> {
    return settle(() =>
      this.database.db.transaction(() => {
        this.statements.unindexOld.run({ cutoff: cutoff.getTime() });
        return this.statements.deleteOld.run({ cutoff: cutoff.getTime() }).changes;
      })(),
    );
  }

  /** Files the document under `keys`, at `seq` or, for a newly indexed one, the next. */
  private file(collection: string, id: string, keys: readonly string[], seq: number | null) {
    if (keys.length === 0) return;
    const at = seq ?? (this.statements.nextSeq.get() as { value: number }).value;
    for (const key of keys) this.statements.index.run({ collection, id, key, seq: at });
  }

  private read<T>(collection: string, id: string): T | null {
    const row = this.statements.get.get({ collection, id }) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as T) : null;
  }
}
