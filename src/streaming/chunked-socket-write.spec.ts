import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { writeChunked } from './chunked-socket-write.js';
import type { Chunk } from './sse-connection.js';

/**
 * Pins what writeChunked relies on in Node's http (`chunkedEncoding`, the chunk framing):
 * the raw bytes of a response written through it must be exactly what Node would send.
 */
const nodeWrite = ServerResponse.prototype.write as (this: ServerResponse, c: Chunk) => boolean;

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** Serves one response written by `write`, read raw (chunk framing and all) by a TCP client. */
function rawResponse(write: (response: ServerResponse) => void): Promise<string> {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/event-stream' });
    response.flushHeaders();
    write(response);
    response.end();
  });
  return new Promise((done, fail) => {
    server!.listen(0, '127.0.0.1', () => {
      const { port } = server!.address() as { port: number };
      const socket = connect(port, '127.0.0.1', () =>
        socket.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let raw = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (raw += chunk));
      socket.on('end', () => done(raw.slice(raw.indexOf('\r\n\r\n') + 4)));
      socket.on('error', fail);
    });
  });
}

describe('writeChunked', () => {
  it('sends the same bytes as Node, strings and Buffers, an empty chunk ending nothing', async () => {
    let chunked: boolean | undefined;
    const shared = Buffer.from('data: é\n\n');
    const body = await rawResponse((response) => {
      chunked = response.chunkedEncoding;
      nodeWrite.call(response, 'retry: 1\n\n');
      writeChunked(response, 'id: 1\ndata: ü\n\n', nodeWrite);
      writeChunked(response, shared, nodeWrite);
      writeChunked(response, shared, nodeWrite);
      writeChunked(response, '', nodeWrite);
    });
    expect(chunked).toBe(true);
    expect(body).toBe(
      Buffer.from(
        'a\r\nretry: 1\n\n\r\n' +
          '10\r\nid: 1\ndata: ü\n\n\r\n' +
          'a\r\ndata: é\n\n\r\n' +
          'a\r\ndata: é\n\n\r\n' +
          '0\r\n\r\n',
      ).toString('latin1'),
    );
  });

  it("takes Node's path while the response is corked, so nothing overtakes its bytes", async () => {
    const body = await rawResponse((response) => {
      response.cork();
      nodeWrite.call(response, 'one\n');
      writeChunked(response, 'two\n', nodeWrite);
      response.uncork();
    });
    expect(body.indexOf('one')).toBeLessThan(body.indexOf('two'));
    expect(body).toMatch(/^4\r\none\n\r\n4\r\ntwo\n\r\n0\r\n\r\n$/);
  });
});
