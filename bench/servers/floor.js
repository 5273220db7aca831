// The floor: the simplest fast Node SSE server there is. Plain http, a map from user to
// responses, and one buffer encoded per notification and written as is to every stream
// that gets it. No authentication beyond reading the token's subject, no storage.
import http from 'node:http';
import {
  announce,
  answerStats,
  notificationFor,
  readJson,
  STREAM_HEADERS,
  subjectOf,
} from './stats.js';

const byUser = new Map();
let streams = 0;
let nextId = 1;

const frame = (notification) =>
  Buffer.from(
    `id: ${notification.id}\nevent: ${notification.type}\ndata: ${JSON.stringify(notification)}\n\n`,
  );

function deliver(recipient, buffer) {
  for (const response of byUser.get(recipient) ?? []) response.write(buffer);
}

const server = http.createServer(async (request, response) => {
  if (request.method === 'GET' && request.url === '/notifications/stream') {
    const user = subjectOf(request);
    response.writeHead(200, STREAM_HEADERS);
    response.write('retry: 3000\n\n');
    let mine = byUser.get(user);
    if (!mine) byUser.set(user, (mine = new Set()));
    mine.add(response);
    streams += 1;
    response.on('close', () => {
      mine.delete(response);
      if (mine.size === 0) byUser.delete(user);
      streams -= 1;
    });
    return;
  }
  if (request.method === 'POST' && request.url === '/notifications') {
    const input = await readJson(request);
    const createdAt = new Date().toISOString();
    if (input.recipients === '*') {
      const buffer = frame(notificationFor(nextId++, '*', input, createdAt));
      for (const mine of byUser.values()) for (const stream of mine) stream.write(buffer);
    } else {
      for (const recipient of input.recipients) {
        deliver(recipient, frame(notificationFor(nextId++, recipient, input, createdAt)));
      }
    }
    response.writeHead(201, { 'Content-Type': 'application/json' }).end('{}');
    return;
  }
  response.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce(server));
answerStats(() => ({ streams, listeners: byUser.size }));
