// The service itself, built (dist/) and configured from the environment as `npm run
// start:prod` would run it, in a process the benchmark can ask for its counts: open
// streams, streams admitted against the limits, bus listeners, cached unread counts, beside the memory and CPU of stats.js.
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createApp } from '../../dist/app.factory.js';
import { loadConfig } from '../../dist/config.js';
import { StreamAdmission } from '../../dist/limits/stream-admission.js';
import { createRootLogger } from '../../dist/logging/logger.js';
import { PinoLoggerService } from '../../dist/logging/pino-logger.service.js';
import { UnreadCounts } from '../../dist/notifications/unread-counts.js';
import { StreamHub } from '../../dist/streaming/stream-hub.js';
import { announce, answerStats } from './stats.js';

const app = await createApp(loadConfig(process.env), new PinoLoggerService(createRootLogger()));
await app.listen(0, '127.0.0.1');
const bus = app.get(EventEmitter2);
// Notification streams, by user: what the benchmark opens.
const registry = app.get(StreamHub, { strict: false }).users;
const unread = app.get(UnreadCounts, { strict: false });
const admission = app.get(StreamAdmission, { strict: false });
announce(app.getHttpServer());
answerStats(() => ({
  streams: registry.size,
  admitted: admission.counts.streams,
  listeners: bus.eventNames().reduce((sum, name) => sum + bus.listenerCount(name), 0),
  usersFollowed: registry.userCount,
  unreadCached: unread.size,
}));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
