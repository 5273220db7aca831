import { Injectable } from '@nestjs/common';
import { StorageStatus } from '../storage-status.js';
import { SqliteDatabase } from './sqlite-database.js';

/** Ready while the database file is open. */
@Injectable()
export class SqliteStatus extends StorageStatus {
  readonly backend = 'sqlite';

  constructor(private readonly database: SqliteDatabase) {
    super();
  }

  isReady(): Promise<boolean> {
    return Promise.resolve(this.database.db.open);
  }
}
