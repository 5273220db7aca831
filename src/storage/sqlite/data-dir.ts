import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../config.js';

/** The embedded store's file inside DATA_DIR. */
export const DATABASE_FILE = 'notifications.db';

/**
 * Makes sure the embedded store can live in DATA_DIR before anything opens it: creates
 * the folder (and its missing parents) and proves that a file can be written there,
 * with a real write, so that a bad DATA_DIR stops start-up with one line naming it
 * (CONTRACT.md, "Start-up") rather than with SQLite's "unable to open database file".
 * Each folder is created on its own: `mkdirSync(…, { recursive: true })` retries
 * forever where the file system refuses to create anything (DATA_DIR=/proc/x).
 * Answers the absolute path of the folder.
 */
export function prepareDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  const missing: string[] = [];
  let existing = dir;
  while (!isDirectory(existing)) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  for (const folder of missing) {
    attempt(`cannot create "${folder}"`, () => {
      try {
        mkdirSync(folder);
      } catch (error) {
        // Created meanwhile by another process starting from the same DATA_DIR.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(folder)) throw error;
      }
    });
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  attempt(`"${dir}" is not writable`, () => {
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, 'probe');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  });
  const database = join(dir, DATABASE_FILE);
  if (exists(database)) {
    attempt(`"${database}" is not writable`, () => closeSync(openSync(database, 'r+')));
  }
  return dir;
}

/** True for a folder; false when nothing is there; a file there is a configuration error. */
function isDirectory(path: string): boolean {
  const stats = statOrNull(path);
  if (stats === null) return false;
  if (!stats.isDirectory()) {
    throw new ConfigError(`DATA_DIR: "${path}" is a file, not a directory`);
  }
  return true;
}

function exists(path: string): boolean {
  return statOrNull(path) !== null;
}

/** The path's stats, or null when nothing is there (or a part of it is a file: see the caller). */
function statOrNull(path: string) {
  return attempt(`cannot read "${path}"`, () => {
    try {
      return statSync(path, { throwIfNoEntry: false }) ?? null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw error;
    }
  });
}

/** Runs `step`; a file system error becomes a ConfigError saying `what` and why, stackless. */
function attempt<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // Node's own wording without the path it repeats: "EACCES: permission denied".
    const { message } = error as { message?: unknown };
    const reason = typeof message === 'string' ? message.split(',')[0] : String(error);
    throw new ConfigError(`DATA_DIR: ${what} (${reason})`);
  }
}
