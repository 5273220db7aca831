// Loads a CommonJS package that require()s Nest's ES modules (@nestjs/common 12 is an
// ES module only). Node >= 20.19 allows that (the service runs such packages natively),
// but Jest 29's module system cannot require() an ES module. jest.config.js maps such a
// package to a file of test/support/ that loads it with this: its CommonJS files are
// evaluated with a require() that hands them `externals`, the very module instances the
// application under test imported (so that Nest recognises its guards, exceptions and
// decorators), and the package's own files for relative paths.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `dist`: the package's folder of compiled files, found from the caller's URL rather than
 * resolved (inside Jest, resolving the name would map it back to the caller).
 * Answers the exports of `entry` (a path relative to `dist`, without `.js`).
 */
export function loadCommonJs(dist, entry, externals) {
  const loaded = new Map();
  function load(id, from) {
    if (id in externals) return externals[id];
    if (!id.startsWith('./') && !id.startsWith('../')) {
      throw new Error(`${dist}: add "${id}" to the externals of its loader in test/support/`);
    }
    const file = join(from, `${id}.js`);
    if (!loaded.has(file)) {
      const module = { exports: {} };
      loaded.set(file, module);
      const code = readFileSync(file, 'utf8');
      const dir = dirname(file);
      new Function('exports', 'require', 'module', '__filename', '__dirname', code)(
        module.exports,
        (next) => load(next, dir),
        module,
        file,
        dir,
      );
    }
    return loaded.get(file).exports;
  }
  return load(`./${entry}`, dist);
}

/** The folder `relative` to the module at `url` (its import.meta.url). */
export const folder = (url, relative) => fileURLToPath(new URL(relative, url));
