// The tutorial design: one EventEmitter for everything. Every stream adds a listener that
// tests whether a notification is for its user and JSON-encodes it for itself, so each
// notification costs every open stream a call, whoever it is for.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import {
  announce,
  answerStats,
  notificationFor,
  readJson,
  STREAM_HEADERS,
  subjectOf,
} from './stats.js';

const bus = new EventEmitter();
bus.setMaxListeners(0);
let streams = 0;
let nextId = 1;

const server = http.createServer(async (request, response) => {
  if (request.method === 'GET' && request.url === '/notifications/stream') {
    const me = subjectOf(request);
    response.writeHead(200, STREAM_HEADERS);
    response.write('retry: 3000\n\n');
    const listener = (notification) => {
      if (notification.recipient !== me && notification.recipient !== '*') return;
      response.write(
        `id: ${notification.id}\nevent: ${notification.type}\ndata: ${JSON.stringify(notification)}\n\n`,
      );
    };
    bus.on('notification', listener);
    streams += 1;
    response.on('close', () => {
      bus.off('notification', listener);
      streams -= 1;
    });
    return;
  }
  if (request.method === 'POST' && request.url === '/notifications') {
    const input = await readJson(request);
    const createdAt = new Date().toISOString();
    const recipients = input.recipients === '*' ? ['*'] : input.recipients;
    for (const recipient of recipients) {
      bus.emit('notification', notificationFor(nextId++, recipient, input, createdAt));
    }
    response.writeHead(201, { 'Content-Type': 'application/json' }).end('{}');
    return;
  }
  response.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce(server));
answerStats(() => ({ streams, listeners: bus.listenerCount('notification') }));
