import { Global, Module } from '@nestjs/common';
import { DocumentStore } from './document-store.js';
import { NotificationStore } from './notification-store.js';
import { SqliteDatabase } from './sqlite/sqlite-database.js';
import { SqliteDocumentStore } from './sqlite/sqlite-document-store.js';
import { SqliteNotificationStore } from './sqlite/sqlite-notification-store.js';

/** Chooses the backends: the embedded SQLite store (Redis comes with REDIS_URL support). */
@Global()
@Module({
  providers: [
    SqliteDatabase,
    { provide: NotificationStore, useClass: SqliteNotificationStore },
    { provide: DocumentStore, useClass: SqliteDocumentStore },
  ],
  exports: [NotificationStore, DocumentStore],
})
export class StorageModule {}
