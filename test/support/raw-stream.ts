import http from 'node:http';
import { eventually } from './wait.js';

/**
 * A plain HTTP GET that keeps every byte of the answer, for checks an EventSource
 * hides: status, headers, field order, comments, `retry:`, absent `id:` lines.
 */
export class RawStream {
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  body = '';
  ended = false;
  private readonly request: http.ClientRequest;
  private firstByteAt = 0;
  readonly startedAt = Date.now();

  constructor(url: string, headers: Record<string, string> = {}) {
    this.request = http.get(url, { headers }, (response) => {
      this.status = response.statusCode ?? 0;
      this.headers = response.headers;
      this.firstByteAt = Date.now();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        this.body += chunk;
      });
      response.on('end', () => {
        this.ended = true;
      });
      response.on('close', () => {
        this.ended = true;
      });
    });
    this.request.on('error', () => {
      this.ended = true;
    });
  }

  /** Resolves once the status line and headers arrived. */
  async headersReceived(): Promise<this> {
    await eventually(() => this.status !== 0 || this.ended, 'response headers');
    return this;
  }

  /** Milliseconds from request to headers. */
  get headerDelayMs(): number {
    return this.firstByteAt - this.startedAt;
  }

  async waitForBody(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    const matches = () =>
      typeof pattern === 'string' ? this.body.includes(pattern) : pattern.test(this.body);
    await eventually(matches, `stream body to match ${String(pattern)}`, timeoutMs);
    return this.body;
  }

  async waitForEnd(timeoutMs = 5000): Promise<void> {
    await eventually(() => this.ended, 'the server to end the stream', timeoutMs);
  }

  /** The body split into events (blocks separated by a blank line). */
  get blocks(): string[] {
    return this.body
      .split('\n\n')
      .map((block) => block.replace(/^\n+/, ''))
      .filter((block) => block !== '');
  }

  close(): void {
    this.request.destroy();
  }
}
