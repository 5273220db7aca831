import { Injectable } from '@nestjs/common';
import { DocumentStore } from '../document-store.js';
import { SqliteDatabase } from './sqlite-database.js';
import { settle } from './settle.js';

/** The embedded {@link DocumentStore}: one SQLite table of JSON documents. */
@Injectable()
export class SqliteDocumentStore extends DocumentStore {
  private readonly insertStatement;
  private readonly getStatement;
  private readonly replaceStatement;

  constructor(private readonly database: SqliteDatabase) {
    super();
    const { db } = database;
    this.insertStatement = db.prepare(
      'INSERT INTO documents (collection, id, body) VALUES (@collection, @id, @body)',
    );
    this.getStatement = db.prepare(
      'SELECT body FROM documents WHERE collection = @collection AND id = @id',
    );
    this.replaceStatement = db.prepare(
      `INSERT INTO documents (collection, id, body) VALUES (@collection, @id, @body)
       ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body`,
    );
  }

  insert<T extends { id: string }>(collection: string, document: T): Promise<void> {
    return settle(() => {
      this.insertStatement.run({ collection, id: document.id, body: JSON.stringify(document) });
    });
  }

  get<T>(collection: string, id: string): Promise<T | null> {
    return settle(() => this.read<T>(collection, id));
  }

  update<T extends { id: string }>(
    collection: string,
    id: string,
    change: (current: T | null) => T,
  ): Promise<T> {
    // A synchronous transaction: nothing else runs between the read and the write.
    return settle(() =>
      this.database.db.transaction(() => {
        const updated = change(this.read<T>(collection, id));
        this.replaceStatement.run({ collection, id, body: JSON.stringify(updated) });
        return updated;
      })(),
    );
  }

  private read<T>(collection: string, id: string): T | null {
    const row = this.getStatement.get({ collection, id }) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as T) : null;
  }
}
