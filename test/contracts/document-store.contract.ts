import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DocumentStore } from '../../src/storage/document-store.js';
import { sleep } from '../support/wait.js';

export interface OpenedDocumentStore {
  store: DocumentStore;
  close(): Promise<void>;
}

/** What a store is opened with; a store keeps documents a day unless a test says otherwise. */
export interface DocumentStoreSettings {
  /** How long a document is kept after it was last touched (RETENTION_DAYS). */
  retentionMs?: number;
}

/** The retention of the tests that age documents: long enough for a loaded machine's timers. */
const RETENTION_MS = 1000;

interface Workflow {
  id: string;
  status: 'pending' | 'approved' | 'rejected';
  approvals: number;
  steps: { name: string; at: string | null }[];
  meta: Record<string, unknown>;
}

function workflow(id: string, overrides: Partial<Workflow> = {}): Workflow {
  return {
    id,
    status: 'pending',
    approvals: 0,
    steps: [
      { name: 'start', at: '2030-01-01T00:00:00.000Z' },
      { name: 'approve', at: null },
    ],
    meta: { tags: ['a', 'b'], nested: { deep: true }, text: 'ünïcode "quoted"' },
    ...overrides,
  };
}

class Conflict extends Error {}

/** Approves a pending workflow; a decided one is a conflict (the 409 of the workflows module). */
function approve(current: Workflow | null): Workflow {
  if (current === null) throw new Error('missing');
  if (current.status !== 'pending') throw new Conflict(`already ${current.status}`);
  return { ...current, status: 'approved', approvals: current.approvals + 1 };
}

/**
 * The behaviour every {@link DocumentStore} must have. `open` gives a fresh, empty
 * store per test.
 */
export function describeDocumentStore(
  name: string,
  open: (settings?: DocumentStoreSettings) => Promise<OpenedDocumentStore>,
): void {
  describe(`${DocumentStore.name} contract: ${name}, retention`, () => {
    let opened: OpenedDocumentStore;
    beforeEach(async () => {
      opened = await open({ retentionMs: RETENTION_MS });
    });
    afterEach(() => opened.close());

    interface Task {
      id: string;
      owner: string;
      watchers: string[];
      state: 'open' | 'done';
    }
    const index = (task: Task) => [
      `owner:${task.owner}`,
      `owner:${task.owner}:${task.state}`,
      ...task.watchers.map((watcher) => `watcher:${watcher}`),
    ];
    const task = (id: string, watchers: string[] = []): Task => ({
      id,
      owner: 'alice',
      watchers,
      state: 'open',
    });

    it('forgets documents the retention after their last touch, with their index entries, and keeps those touched since', async () => {
      const { store } = opened;
      await store.insert('tasks', task('t1'), index);
      await store.insert('tasks', task('t2', ['bob']), index);
      await store.insert('tasks', task('t3', ['bob']), index);
      await store.insert('messages', { id: 'm1', text: 'hello' });
      await sleep(RETENTION_MS * 0.6);
      const done = await store.update<Task>(
        'tasks',
        't2',
        (t) => ({ ...t!, state: 'done' }),
        index,
      );
      await sleep(RETENTION_MS * 0.6);

      expect(await store.prune(new Date(Date.now() - RETENTION_MS))).toBeGreaterThanOrEqual(2);
      expect(await store.get('tasks', 't1')).toBeNull();
      expect(await store.get('tasks', 't3')).toBeNull();
      expect(await store.get('messages', 'm1')).toBeNull();
      expect(await store.get('tasks', 't2')).toEqual(done);
      const all = ['owner:alice', 'owner:alice:open', 'owner:alice:done', 'watcher:bob'];
      expect(await store.list('tasks', { anyOf: all, limit: 10 })).toEqual([done]);

      // What is written afterwards is listed as before: newest first, with what is kept.
      const later = await store.insert('tasks', task('t4', ['bob']), index);
      expect(await store.list('tasks', { anyOf: ['watcher:bob'], limit: 10 })).toEqual([
        later,
        done,
      ]);
    });
  });

  describe(`${DocumentStore.name} contract: ${name}`, () => {
    let opened: OpenedDocumentStore;
    let store: DocumentStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    describe('insert and get', () => {
      it('gives back an inserted document', async () => {
        await store.insert('workflows', workflow('w1'));
        expect(await store.get<Workflow>('workflows', 'w1')).toEqual(workflow('w1'));
      });

      it('is null for an unknown id', async () => {
        await store.insert('workflows', workflow('w1'));
        expect(await store.get('workflows', 'w2')).toBeNull();
      });

      it('keeps collections apart', async () => {
        await store.insert('workflows', workflow('x', { approvals: 1 }));
        await store.insert('messages', workflow('x', { approvals: 2 }));
        expect(await store.get<Workflow>('workflows', 'x')).toMatchObject({ approvals: 1 });
        expect(await store.get<Workflow>('messages', 'x')).toMatchObject({ approvals: 2 });
        expect(await store.get('other', 'x')).toBeNull();
      });

      it('stores a copy: changing the object afterwards does not change the document', async () => {
        const document = workflow('w1');
        await store.insert('workflows', document);
        document.status = 'rejected';
        document.steps.push({ name: 'extra', at: null });
        expect(await store.get<Workflow>('workflows', 'w1')).toEqual(workflow('w1'));
      });

      it('rejects inserting an id that exists, and keeps the first document', async () => {
        await store.insert('workflows', workflow('w1', { approvals: 1 }));
        await expect(store.insert('workflows', workflow('w1', { approvals: 2 }))).rejects.toThrow();
        expect(await store.get<Workflow>('workflows', 'w1')).toMatchObject({ approvals: 1 });
      });
    });

    describe('update', () => {
      it('passes the current document to change', async () => {
        await store.insert('workflows', workflow('w1', { approvals: 3 }));
        const seen: (Workflow | null)[] = [];
        await store.update<Workflow>('workflows', 'w1', (current) => {
          seen.push(current);
          return workflow('w1');
        });
        expect(seen).toEqual([workflow('w1', { approvals: 3 })]);
      });

      it('stores the result of change and resolves with it', async () => {
        await store.insert('workflows', workflow('w1'));
        const updated = await store.update<Workflow>('workflows', 'w1', approve);
        expect(updated).toEqual(workflow('w1', { status: 'approved', approvals: 1 }));
        expect(await store.get<Workflow>('workflows', 'w1')).toEqual(updated);
      });

      it('gives change null for a missing id, and stores what it returns', async () => {
        const seen: (Workflow | null)[] = [];
        const created = await store.update<Workflow>('workflows', 'w9', (current) => {
          seen.push(current);
          return workflow('w9');
        });
        expect(seen).toEqual([null]);
        expect(created).toEqual(workflow('w9'));
        expect(await store.get<Workflow>('workflows', 'w9')).toEqual(workflow('w9'));
      });

      it('rejects with the error change throws, leaving the document as it was', async () => {
        await store.insert('workflows', workflow('w1', { status: 'rejected' }));
        const failure = store.update<Workflow>('workflows', 'w1', approve);
        await expect(failure).rejects.toBeInstanceOf(Conflict);
        await expect(failure).rejects.toThrow('already rejected');
        expect(await store.get<Workflow>('workflows', 'w1')).toEqual(
          workflow('w1', { status: 'rejected' }),
        );
      });

      it('stores nothing when change throws for a missing id', async () => {
        const error = new Error('no such workflow');
        await expect(
          store.update<Workflow>('workflows', 'w9', () => {
            throw error;
          }),
        ).rejects.toBe(error);
        expect(await store.get('workflows', 'w9')).toBeNull();
      });

      it('lets only one of two concurrent decisions win', async () => {
        await store.insert('workflows', workflow('w1'));
        const results = await Promise.allSettled([
          store.update<Workflow>('workflows', 'w1', approve),
          store.update<Workflow>('workflows', 'w1', approve),
        ]);
        expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect(await store.get<Workflow>('workflows', 'w1')).toMatchObject({
          status: 'approved',
          approvals: 1,
        });
      });

      it('loses no change among concurrent updates', async () => {
        await store.insert('workflows', workflow('w1'));
        await Promise.all(
          Array.from({ length: 20 }, () =>
            store.update<Workflow>('workflows', 'w1', (current) => ({
              ...(current as Workflow),
              approvals: (current as Workflow).approvals + 1,
            })),
          ),
        );
        expect(await store.get<Workflow>('workflows', 'w1')).toMatchObject({ approvals: 20 });
      });

      it('changes only the document it is given', async () => {
        await store.insert('workflows', workflow('w1'));
        await store.insert('workflows', workflow('w2'));
        await store.insert('messages', workflow('w1'));
        await store.update<Workflow>('workflows', 'w1', approve);
        expect(await store.get<Workflow>('workflows', 'w2')).toEqual(workflow('w2'));
        expect(await store.get<Workflow>('messages', 'w1')).toEqual(workflow('w1'));
      });
    });

    describe('list', () => {
      /** Filed by owner and by state, as the workflows module files its documents. */
      interface Task {
        id: string;
        owner: string;
        watchers: string[];
        state: 'open' | 'done';
      }
      const index = (task: Task) => [
        `owner:${task.owner}`,
        `owner:${task.owner}:${task.state}`,
        ...task.watchers.flatMap((watcher) => [
          `watcher:${watcher}`,
          `watcher:${watcher}:${task.state}`,
        ]),
      ];
      const task = (id: string, owner: string, watchers: string[] = []): Task => ({
        id,
        owner,
        watchers,
        state: 'open',
      });
      const finish = (current: Task | null): Task => ({ ...(current as Task), state: 'done' });
      const idsOf = (tasks: Task[]) => tasks.map((found) => found.id);
      const list = async (anyOf: string[], noneOf: string[] = [], limit = 50) =>
        idsOf(await store.list<Task>('tasks', { anyOf, noneOf, limit }));

      it('answers the documents filed under a key, newest first, as stored', async () => {
        await store.insert('tasks', task('t1', 'alice'), index);
        await store.insert('tasks', task('t2', 'bob'), index);
        await store.insert('tasks', task('t3', 'alice', ['bob']), index);
        expect(await store.list<Task>('tasks', { anyOf: ['owner:alice'], limit: 50 })).toEqual([
          task('t3', 'alice', ['bob']),
          task('t1', 'alice'),
        ]);
        expect(await list(['owner:carol'])).toEqual([]);
      });

      it('orders by insertion, also for ids that sort the other way', async () => {
        for (const id of ['z', 'b', 'y', 'a', 'x'])
          await store.insert('tasks', task(id, 'alice'), index);
        expect(await list(['owner:alice'])).toEqual(['x', 'a', 'y', 'b', 'z']);
      });

      it('answers the union of several keys, each document once', async () => {
        await store.insert('tasks', task('t1', 'alice'), index);
        await store.insert('tasks', task('t2', 'bob', ['alice']), index);
        await store.insert('tasks', task('t3', 'alice', ['alice', 'carol']), index);
        await store.insert('tasks', task('t4', 'carol'), index);
        expect(await list(['owner:alice', 'watcher:alice'])).toEqual(['t3', 't2', 't1']);
      });

      it('leaves out the documents filed under any key of noneOf', async () => {
        await store.insert('tasks', task('t1', 'bob', ['alice']), index);
        await store.insert('tasks', task('t2', 'alice', ['alice']), index);
        await store.insert('tasks', task('t3', 'carol', ['alice']), index);
        expect(await list(['watcher:alice'], ['owner:alice'])).toEqual(['t3', 't1']);
        expect(await list(['watcher:alice'], ['owner:alice', 'owner:carol'])).toEqual(['t1']);
      });

      it('answers at most limit documents, the newest, even past many excluded ones', async () => {
        for (let i = 1; i <= 5; i += 1)
          await store.insert('tasks', task(`old${i}`, 'bob', ['alice']), index);
        for (let i = 1; i <= 40; i += 1) {
          await store.insert('tasks', task(`own${i}`, 'alice', ['alice']), index);
        }
        expect(await list(['watcher:alice'], ['owner:alice'], 2)).toEqual(['old5', 'old4']);
        expect(await list(['watcher:alice'], ['owner:alice'], 10)).toEqual([
          'old5',
          'old4',
          'old3',
          'old2',
          'old1',
        ]);
        expect(await list(['watcher:alice'], [], 3)).toEqual(['own40', 'own39', 'own38']);
      });

      it('files an updated document under its new keys, keeping its place in the order', async () => {
        await store.insert('tasks', task('t1', 'alice'), index);
        await store.insert('tasks', task('t2', 'alice'), index);
        await store.insert('tasks', task('t3', 'alice'), index);
        const done = await store.update<Task>('tasks', 't1', finish, index);
        await store.update<Task>('tasks', 't3', finish, index);

        expect(await list(['owner:alice:open'])).toEqual(['t2']);
        expect(await list(['owner:alice:done'])).toEqual(['t3', 't1']);
        expect(await list(['owner:alice'])).toEqual(['t3', 't2', 't1']);
        expect(
          (await store.list<Task>('tasks', { anyOf: ['owner:alice:done'], limit: 5 }))[1],
        ).toEqual(done);
      });

      it('leaves the index as it was when change throws', async () => {
        await store.insert('tasks', task('t1', 'alice'), index);
        await expect(
          store.update<Task>(
            'tasks',
            't1',
            () => {
              throw new Conflict('no');
            },
            index,
          ),
        ).rejects.toBeInstanceOf(Conflict);
        expect(await list(['owner:alice:open'])).toEqual(['t1']);
        expect(await list(['owner:alice:done'])).toEqual([]);
      });

      it('files a document created by update, after those inserted before', async () => {
        await store.insert('tasks', task('t1', 'alice'), index);
        await store.update<Task>('tasks', 't2', () => task('t2', 'alice'), index);
        expect(await list(['owner:alice'])).toEqual(['t2', 't1']);
      });

      it('files nothing for documents written without an index, and keeps collections apart', async () => {
        await store.insert('tasks', task('t1', 'alice'));
        await store.insert('other', task('t2', 'alice'), index);
        await store.insert('tasks', task('t3', 'alice'), index);
        expect(await list(['owner:alice'])).toEqual(['t3']);
        expect(
          idsOf(await store.list<Task>('other', { anyOf: ['owner:alice'], limit: 5 })),
        ).toEqual(['t2']);
      });

      it('files a document once under keys that repeat, and under keys of any characters', async () => {
        const odd = (found: Task) => [`owner:${found.owner}`, `owner:${found.owner}`, 'ünï:*:"x"'];
        await store.insert('tasks', task('t1', 'a:b'), odd);
        await store.insert('tasks', task('t2', 'a'), odd);
        expect(await list(['owner:a:b'])).toEqual(['t1']);
        expect(await list(['owner:a'])).toEqual(['t2']);
        expect(await list(['ünï:*:"x"'])).toEqual(['t2', 't1']);
      });

      it('keeps every index entry among concurrent updates of one document', async () => {
        await store.insert('tasks', task('t1', 'alice'), index);
        await Promise.all(
          ['bob', 'carol', 'dave', 'erin'].map((watcher) =>
            store.update<Task>(
              'tasks',
              't1',
              (current) => ({
                ...(current as Task),
                watchers: [...(current as Task).watchers, watcher],
              }),
              index,
            ),
          ),
        );
        for (const watcher of ['bob', 'carol', 'dave', 'erin']) {
          expect(await list([`watcher:${watcher}`])).toEqual(['t1']);
        }
        expect(await list(['owner:alice'])).toEqual(['t1']);
      });
    });
  });
}
