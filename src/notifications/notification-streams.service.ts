import { HttpException, HttpStatus, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { AppConfig } from '../config.js';
import { SseConnection } from '../streaming/sse-connection.js';
import { serveSse } from '../streaming/sse-observable.js';
import { StreamRegistry } from '../streaming/stream-registry.js';

/** Opens a user's notification stream, within the per-user and per-instance limits. */
@Injectable()
export class NotificationStreamsService {
  constructor(
    private readonly config: AppConfig,
    private readonly registry: StreamRegistry,
  ) {}

  open(user: AuthUser, response: Response): Observable<never> {
    if (this.registry.size >= this.config.maxStreams) {
      throw new ServiceUnavailableException(
        `This instance holds its maximum of ${this.config.maxStreams} streams; retry later`,
      );
    }
    if (this.registry.countFor(user.id) >= this.config.maxStreamsPerUser) {
      throw new HttpException(
        `User ${user.id} already has ${this.config.maxStreamsPerUser} open streams (MAX_STREAMS_PER_USER)`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const connection = new SseConnection({
      userId: user.id,
      retryMs: this.config.retryMs,
      heartbeatMs: this.config.heartbeatMs,
      expiresAt: user.expiresAt,
      onClose: (closed) => this.registry.remove(closed),
    });
    // Registered now, not on subscribe, so that concurrent opens count against the limit.
    this.registry.add(connection);
    return serveSse(response, connection);
  }
}
