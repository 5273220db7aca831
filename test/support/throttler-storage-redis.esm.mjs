// @nest-lab/throttler-storage-redis is CommonJS and require()s @nestjs/common 12, which
// is an ES module only: jest.config.js maps the package here, see ./commonjs.mjs. It gets
// the application's own ioredis, so that it recognises the connection it is handed.
import * as common from '@nestjs/common';
import ioredis from 'ioredis';
import tslib from 'tslib';
import { folder, loadCommonJs } from './commonjs.mjs';

const storage = loadCommonJs(
  folder(import.meta.url, '../../node_modules/@nest-lab/throttler-storage-redis/src'),
  'index',
  { '@nestjs/common': common, ioredis, tslib },
);
export default storage;
export const { ThrottlerStorageRedisService, ThrottlerStorageRedis } = storage;
