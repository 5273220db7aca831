import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Module, Res, Sse } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
// The class Nest pipes into @Sse responses: an internal path, which this test pins.
import { SseStream } from '@nestjs/core/router/sse-stream.js';
import type { Response } from 'express';
import { get } from 'node:http';
import { PassThrough } from 'node:stream';
import { Observable } from 'rxjs';
import { catchNestSseStream, isSseRoute } from './nest-sse-internals.js';

/**
 * Pins the Nest internals that nest-sse-internals.ts relies on: when a Nest upgrade
 * changes one of them, this fails here, naming it, instead of every stream breaking.
 */
class Routes {
  @Sse('stream')
  stream(): Observable<never> {
    return new Observable();
  }

  @Get('plain')
  plain(): string {
    return 'plain';
  }
}

/** An @Sse route that reports whether Nest piped its SseStream into the response. */
@Controller()
class PipeProbe {
  @Sse('probe')
  probe(@Res({ passthrough: true }) response: Response): Observable<{ data: string }> {
    const caught = catchNestSseStream(response);
    return new Observable((subscriber) => {
      const stream = caught.take();
      subscriber.next({ data: typeof stream?.commitHeaders });
      subscriber.complete();
    });
  }
}

@Module({ controllers: [PipeProbe] })
class ProbeModule {}

describe('Nest SSE internals', () => {
  describe('isSseRoute (the @Sse metadata key)', () => {
    const reflector = new Reflector();

    it('is true for an @Sse route', () => {
      expect(isSseRoute(reflector, Routes.prototype.stream)).toBe(true);
    });

    it('is false for any other route', () => {
      expect(isSseRoute(reflector, Routes.prototype.plain)).toBe(false);
    });
  });

  describe("SseStream and the response's pipe event", () => {
    it('SseStream still has commitHeaders', () => {
      expect(typeof SseStream.prototype.commitHeaders).toBe('function');
    });

    it('is caught when piped, and commitHeaders writes the SSE headers', () => {
      const writeHead = jest.fn();
      const response = Object.assign(new PassThrough(), { writeHead });
      const caught = catchNestSseStream(response);
      const sse = new SseStream();
      // A PassThrough with writeHead: all of an HTTP response that the stream uses here.
      sse.pipe(response);
      const stream = caught.take();
      expect(stream).toBe(sse);
      stream?.commitHeaders();
      expect(writeHead).toHaveBeenCalledWith(
        200,
        expect.objectContaining({ 'Content-Type': 'text/event-stream' }),
      );
    });

    it('gives null when nothing was piped', () => {
      expect(catchNestSseStream(new PassThrough()).take()).toBeNull();
    });
  });

  describe('Nest piping an @Sse route into its response', () => {
    let app: NestExpressApplication;
    let port: number;

    beforeAll(async () => {
      app = await NestFactory.create<NestExpressApplication>(ProbeModule, { logger: false });
      await app.listen(0, '127.0.0.1');
      port = (app.getHttpServer().address() as { port: number }).port;
    });
    afterAll(() => app.close());

    it('pipes an SseStream (with commitHeaders) before it subscribes', async () => {
      const body = await new Promise<string>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/probe`, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toContain('data: function');
    });
  });
});
