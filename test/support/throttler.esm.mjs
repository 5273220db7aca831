// @nestjs/throttler 6 is CommonJS and require()s @nestjs/common 12, which is an ES
// module only. Node >= 20.19 allows that (the service runs it natively), but Jest 29's
// module system cannot require() an ES module. jest.config.js maps the package here:
// its CommonJS files are evaluated with a require() that hands them the very
// @nestjs/common and @nestjs/core instances the application under test imported,
// so that its guard, exception and decorators are the ones Nest recognises.
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as asyncHooks from 'node:async_hooks';
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Found from here, not resolved: inside Jest, resolving the name would map it to this file.
const dist = fileURLToPath(new URL('../../node_modules/@nestjs/throttler/dist', import.meta.url));
const external = {
  '@nestjs/common': common,
  '@nestjs/core': core,
  async_hooks: asyncHooks,
  'node:crypto': crypto,
  net,
};
const loaded = new Map();

function load(id) {
  if (id in external) return external[id];
  if (!id.startsWith('./')) throw new Error(`throttler.esm.mjs: add "${id}" to its externals`);
  const file = join(dist, `${id.slice(2)}.js`);
  if (!loaded.has(file)) {
    const module = { exports: {} };
    loaded.set(file, module);
    const code = readFileSync(file, 'utf8');
    new Function('exports', 'require', 'module', '__filename', '__dirname', code)(
      module.exports,
      load,
      module,
      file,
      dist,
    );
  }
  return loaded.get(file).exports;
}

const throttler = load('./index');
export default throttler;
export const {
  getOptionsToken,
  getStorageToken,
  DEFAULT_IPV6_SUBNET_PREFIX,
  normalizeIp,
  ThrottlerStorage,
  Throttle,
  SkipThrottle,
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  throttlerMessage,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerModule,
  DEFAULT_SWEEP_INTERVAL,
  ThrottlerStorageService,
  seconds,
  minutes,
  hours,
  days,
  weeks,
} = throttler;
