import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { publish } from '../support/api.js';
import { makeDataDir, removeDataDir } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { parseMetrics, valueOf } from '../support/prometheus.js';
import { bearer, token } from '../support/tokens.js';

const USERS = Array.from({ length: 10 }, (_, i) => `gc-user-${i}`);
const userOf = (i: number) => USERS[i % USERS.length];

/** Every notification id in the user's inbox (fewer than 100 here: one page). */
async function inboxIds(on: Instance, user: string): Promise<string[]> {
  const response = await request(on.url)
    .get('/notifications?limit=100')
    .set(bearer(token(user)))
    .expect(200);
  return (response.body as { items: Notification[] }).items.map((item) => item.id);
}

/**
 * The embedded store commits concurrent publishes together (one SQLite transaction for
 * the requests of one round of I/O), and still answers 201 only once a publish is
 * committed: a process killed (SIGKILL, no shutdown) right after its answers finds every
 * answered notification in its file when it starts again.
 */
describe('Group commit on the embedded store', () => {
  const dataDir = makeDataDir();
  let service: Instance | undefined;

  afterAll(async () => {
    await service?.stop('SIGKILL');
    removeDataDir(dataDir);
  });

  it('batches concurrent publishes into fewer commits, and every 201 survives a SIGKILL', async () => {
    service = await Instance.start({ DATA_DIR: dataDir });
    const first = service;
    const answered = new Map<string, string>();
    const send = async (i: number) => {
      const [stored] = await publish(first, [userOf(i)], `gc-${i}`);
      answered.set(stored.id, userOf(i));
    };

    // 64 publishes in flight at once: all stored, in fewer transactions than requests.
    await Promise.all(Array.from({ length: 64 }, (_, i) => send(i)));
    expect(answered.size).toBe(64);
    const metrics = parseMetrics(await (await fetch(`${first.url}/metrics`)).text());
    const appends = valueOf(metrics, 'notification_hub_store_appends_per_commit_sum');
    const commits = valueOf(metrics, 'notification_hub_store_appends_per_commit_count');
    expect(appends).toBe(64);
    expect(commits).toBeLessThan(64);

    // 200 more in flight; the process is killed the moment the 100th of them is answered.
    let killed: Promise<unknown> | undefined;
    const wave = Array.from({ length: 200 }, async (_, i) => {
      await send(64 + i);
      if (answered.size === 164) killed = first.stop('SIGKILL');
    });
    await Promise.allSettled(wave);
    await killed;
    expect(answered.size).toBeGreaterThanOrEqual(164);

    service = await Instance.start({ DATA_DIR: dataDir });
    const found = new Set<string>();
    for (const user of USERS) for (const id of await inboxIds(service, user)) found.add(id);
    const missing = [...answered.keys()].filter((id) => !found.has(id));
    expect(missing).toEqual([]);
  }, 60000);
});
