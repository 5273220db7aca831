import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/**
 * What an adopter's code looks like: every line must type-check against the packed
 * package's declarations, and every `@ts-expect-error` must meet an error (a declaration
 * typed too loosely, `any` say, leaves it unused, which is an error too).
 */
const CONSUMER = `
import {
  NotificationClient,
  NotificationHubError,
  type InboxItem,
  type Notification,
} from '@notification-hub/client';
import type { Preferences } from '@notification-hub/client/protocol';

const client = new NotificationClient({
  channel: 'hub:alice',
  getToken: async () => 'a token',
  transport: 'native',
});
client.on('notification', (notification) => {
  const title: string = notification.title;
  const data: Record<string, unknown> = notification.data;
  const same: Notification = notification;
  // @ts-expect-error: a notification has no subject
  void notification.subject;
  void [title, data, same];
});
client.on('unread', (count) => count.toFixed());
client.on('types', (types) => types.join(','));
client.on('preferences', (preferences: Preferences) => preferences.types['invoice.paid'] === false);
// @ts-expect-error: no such event
client.on('notifications', () => undefined);
// @ts-expect-error: a count is a number
client.on('unread', (count: string) => count);
// @ts-expect-error: the transports are 'polyfill' and 'native'
new NotificationClient({ channel: 'c', getToken: async () => 't', transport: 'websocket' });
client.start();

export async function olderUnread(before: string | null): Promise<InboxItem[]> {
  const page = await client.inbox.list({ unread: true, types: ['invoice.paid'], limit: 20, before });
  const next: string | null = page.nextBefore;
  const read: boolean | undefined = page.items[0]?.read;
  void [next, read];
  // @ts-expect-error: limit is a number
  await client.inbox.list({ limit: '20' });
  await client.inbox.read('42');
  await client.inbox.unread('42');
  await client.inbox.archive('42');
  await client.inbox.unarchive('42');
  await client.inbox.readAll();
  try {
    const preferences: Preferences = await client.preferences.set({ 'invoice.paid': false });
    const types: string[] = await client.types();
    void [preferences, types];
  } catch (error) {
    if (error instanceof NotificationHubError) {
      const status: number = error.status;
      const message: string = error.message;
      void [status, message];
    }
  }
  return page.items;
}
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2023', 'DOM'],
    types: [],
    strict: true,
    noEmit: true,
    // The package's own declarations are checked too.
    skipLibCheck: false,
  },
  files: ['consumer.ts'],
};

async function typeCheck(project: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [TSC, '-p', project], { cwd: project });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

/**
 * `npm pack` in client/ (prepack builds it), the tarball installed into a scratch project
 * offline, and a consumer type-checked against it: what an adopter gets.
 */
describe('@notification-hub/client, packed and installed', () => {
  let scratch: string;
  let packed: string[];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'hub-client-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
      cwd: join(ROOT, 'client'),
    });
    const [tarball] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    packed = tarball.files.map((file) => file.path);
    const project = {
      name: 'scratch-consumer',
      private: true,
      type: 'module',
      dependencies: {
        '@notification-hub/client': `file:./${tarball.filename}`,
        // The package's one dependency, from this checkout's node_modules: no registry.
        'event-source-polyfill': `file:${join(ROOT, 'node_modules/event-source-polyfill')}`,
      },
    };
    await writeFile(join(scratch, 'package.json'), JSON.stringify(project, null, 2));
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--install-links'],
      { cwd: scratch },
    );
    await writeFile(join(scratch, 'consumer.ts'), CONSUMER);
    await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
  }, 120000);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('ships the ES modules and their declarations, not the sources', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/protocol.d.ts',
        'dist/notification-client.d.ts',
      ]),
    );
    expect(packed.filter((path) => !path.startsWith('dist/') && path !== 'package.json')).toEqual(
      [],
    );
  });

  it('type-checks a consumer against its .d.ts, misuses refused', async () => {
    const { code, output } = await typeCheck(scratch);
    expect(output).toBe('');
    expect(code).toBe(0);
  }, 60000);

  it('fails the same consumer when the declarations are missing', async () => {
    const broken = `${scratch}-broken`;
    await cp(scratch, broken, { recursive: true });
    try {
      await rm(join(broken, 'node_modules/@notification-hub/client/dist/index.d.ts'));
      const { code, output } = await typeCheck(broken);
      expect(code).not.toBe(0);
      expect(output).toContain(
        "Could not find a declaration file for module '@notification-hub/client'",
      );
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  }, 60000);
});
