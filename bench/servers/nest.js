// The Nest yardstick: a bare Nest `@Sse` app on @nestjs/platform-express, with no guards,
// logging, pipes or middleware of its own, holding the same streams as the floor (same
// URL, same subject handling, same POST /notifications). What it costs per stream beyond
// the floor is what Nest itself costs; the service is measured against it (issue 16).
// Plain JS has no decorators: they are applied by hand, as TypeScript's output does.
import { Controller, Module, Post, Req, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Observable } from 'rxjs';
import { announce, answerStats, notificationFor, subjectOf } from './stats.js';

/** Each user's open streams: the subscribers of their routes' Observables. */
const byUser = new Map();
let streams = 0;
let nextId = 1;

/** One event, JSON-encoded once: Nest passes string data on as it is. */
const message = (notification) => ({
  id: notification.id,
  type: notification.type,
  data: JSON.stringify(notification),
});

class NotificationsController {
  stream(request) {
    const user = subjectOf(request);
    return new Observable((subscriber) => {
      subscriber.next({ retry: 3000 });
      let mine = byUser.get(user);
      if (!mine) byUser.set(user, (mine = new Set()));
      mine.add(subscriber);
      streams += 1;
      return () => {
        mine.delete(subscriber);
        if (mine.size === 0) byUser.delete(user);
        streams -= 1;
      };
    });
  }

  publish(request) {
    const input = request.body;
    const createdAt = new Date().toISOString();
    if (input.recipients === '*') {
      const event = message(notificationFor(nextId++, '*', input, createdAt));
      for (const mine of byUser.values()) for (const subscriber of mine) subscriber.next(event);
    } else {
      for (const recipient of input.recipients) {
        const event = message(notificationFor(nextId++, recipient, input, createdAt));
        for (const subscriber of byUser.get(recipient) ?? []) subscriber.next(event);
      }
    }
    return {};
  }
}

const decorateMethod = (target, key, ...decorators) => {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, key);
  for (const decorator of decorators) decorator(target.prototype, key, descriptor);
};
decorateMethod(NotificationsController, 'stream', Sse('stream'));
decorateMethod(NotificationsController, 'publish', Post());
Req()(NotificationsController.prototype, 'stream', 0);
Req()(NotificationsController.prototype, 'publish', 0);
Controller('notifications')(NotificationsController);

class AppModule {}
Module({ controllers: [NotificationsController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
const server = app.getHttpServer();
server.keepAliveTimeout = 60_000;
announce(server);
answerStats(() => ({ streams, listeners: byUser.size }));
