import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';

/**
 * The batcher on a real (in-memory) SQLite database. A COMMIT is made to fail with a
 * deferred foreign key: SQLite checks it only when the transaction commits.
 */
describe('GroupCommit', () => {
  let db: Database.Database;
  let batches: number[];
  let commit: GroupCommit;
  const rows = () =>
    (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: string }[]).map((r) => r.v);
  const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v);

  beforeEach(() => {
    db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    db.exec(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE t (v TEXT NOT NULL UNIQUE);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`);
    batches = [];
    commit = new GroupCommit(db, (writes) => batches.push(writes));
  });

  afterEach(() => {
    db.close();
  });

  it('runs the writes submitted together in one transaction, settling none before its commit', async () => {
    const settled: string[] = [];
    const seenCommitted: string[][] = [];
    const all = ['a', 'b', 'c'].map((v) =>
      commit.submit(insert(v), () => seenCommitted.push(rows())).then(() => settled.push(v)),
    );
    // Nothing written, nothing answered, until the batch runs.
    await Promise.resolve();
    expect(rows()).toEqual([]);
    expect(settled).toEqual([]);
    await Promise.all(all);
    expect(batches).toEqual([3]);
    expect(settled).toEqual(['a', 'b', 'c']);
    // Each `committed` callback saw the whole batch already stored.
    expect(seenCommitted).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('rejects every write of a batch whose commit fails, and keeps none of them', async () => {
    const committed: unknown[] = [];
    const results = await Promise.allSettled([
      commit.submit(insert('x'), (r) => committed.push(r)),
      commit.submit(() => db.prepare('INSERT INTO child (parent) VALUES (42)').run()),
      commit.submit(insert('y'), (r) => committed.push(r)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason).toEqual(
        expect.objectContaining({ message: expect.stringMatching(/FOREIGN KEY/) }),
      );
    }
    expect(committed).toEqual([]);
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    // The next batch commits normally.
    await commit.submit(insert('z'));
    expect(rows()).toEqual(['z']);
  });

  it('a write that throws undoes and rejects only itself; the rest of its batch commits', async () => {
    const results = await Promise.allSettled([
      commit.submit(insert('p')),
      commit.submit(() => {
        insert('q')();
        insert('p')(); // UNIQUE violation: 'q' goes too
      }),
      commit.submit(insert('r')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([3]);
    expect(rows()).toEqual(['p', 'r']);
  });

  it('writes submitted in separate rounds of I/O commit separately', async () => {
    await commit.submit(insert('1'));
    await new Promise((resolve) => setImmediate(resolve));
    await commit.submit(insert('2'));
    expect(batches).toEqual([1, 1]);
  });

  it('flush() commits what is pending at once (before the database closes)', async () => {
    const pending = commit.submit(insert('late'));
    commit.flush();
    expect(rows()).toEqual(['late']);
    await expect(pending).resolves.toBeDefined();
    expect(batches).toEqual([1]);
  });
});
