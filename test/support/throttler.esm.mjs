// @nestjs/throttler 6 is CommonJS and require()s @nestjs/common 12, which is an ES
// module only: jest.config.js maps the package here, see ./commonjs.mjs for why and how.
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as asyncHooks from 'node:async_hooks';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { folder, loadCommonJs } from './commonjs.mjs';

const throttler = loadCommonJs(
  folder(import.meta.url, '../../node_modules/@nestjs/throttler/dist'),
  'index',
  {
    '@nestjs/common': common,
    '@nestjs/core': core,
    async_hooks: asyncHooks,
    'node:crypto': crypto,
    net,
  },
);
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
