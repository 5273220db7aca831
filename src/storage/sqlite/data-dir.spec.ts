import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config.js';
import { prepareDataDir } from './data-dir.js';

/** The ConfigError message prepareDataDir throws for `dir`. */
function refusal(dir: string): string {
  try {
    prepareDataDir(dir);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`prepareDataDir accepted ${dir}`);
}

describe(prepareDataDir.name, () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'data-dir-spec-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('creates the folder and its missing parents, leaving no probe file behind', () => {
    const dir = join(scratch, 'a', 'b', 'c');
    expect(prepareDataDir(dir)).toBe(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('accepts a folder that exists, with its database', () => {
    writeFileSync(join(scratch, 'notifications.db'), '');
    expect(prepareDataDir(scratch)).toBe(scratch);
  });

  it('refuses a file, naming its path', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    expect(refusal(file)).toBe(`DATA_DIR: "${file}" is a file, not a directory`);
  });

  it('refuses a path through a file, naming the file', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    expect(refusal(join(file, 'data'))).toBe(`DATA_DIR: "${file}" is a file, not a directory`);
  });

  it('refuses at once where nothing can be created (no endless mkdir retries)', () => {
    const startedAt = Date.now();
    expect(refusal('/proc/x/data')).toBe(
      'DATA_DIR: cannot create "/proc/x" (ENOENT: no such file or directory)',
    );
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });

  it('refuses a folder where a file cannot be written, saying why', () => {
    // Root writes past any mode; sysfs refuses even root.
    expect(refusal('/sys/kernel')).toMatch(
      /^DATA_DIR: "\/sys\/kernel" is not writable \((EACCES|EROFS|EPERM): /,
    );
  });
});
