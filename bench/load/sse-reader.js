// Reads one SSE response off a raw socket, for the load generator: Node's HTTP client
// (IncomingMessage, strings, a regex per read) cost the load processes about as much CPU
// per broadcast as the service itself, on the same cores, which inflated the latencies
// they measure. This reads Buffers as they come off the socket, however TCP splits them:
// the status line and headers, then an HTTP/1.1 chunked body (or a raw body until close),
// then the SSE events, of which it looks only at the id and the benchmark's title
// `b<seq>@<epoch ms>` (no string per event but the id).

const HEAD_END = Buffer.from('\r\n\r\n');
const EVENT_END = Buffer.from('\n\n');
const TITLE = Buffer.from('"title":"b');
const LF = 0x0a;
const AT = 0x40;
const DOT = 0x2e;
const QUOTE = 0x22;

const HEAD = 0;
const CHUNK_SIZE = 1;
const CHUNK_DATA = 2;
const CHUNK_END = 3;
const RAW = 4;
const DONE = 5;

/** `id: ` at `i`. */
const isIdLine = (bytes, i) =>
  bytes[i] === 0x69 && bytes[i + 1] === 0x64 && bytes[i + 2] === 0x3a && bytes[i + 3] === 0x20;

const hexValue = (c) =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : c >= 0x61 && c <= 0x66
      ? c - 0x57
      : c >= 0x41 && c <= 0x46
        ? c - 0x37
        : -1;

export class SseReader {
  /** The response's status code once its head has arrived; 0 before. */
  status = 0;
  /** Complete events read, titled or not (a stream's first one is its `retry:`). */
  events = 0;

  #state = HEAD;
  /** The head so far, while it spans reads. */
  #head = null;
  /** In CHUNK_SIZE the size read so far, in CHUNK_DATA the bytes still to come. */
  #size = 0;
  /** In CHUNK_SIZE: past a `;`, in a chunk extension (ignored). */
  #extension = false;
  /** The start of an event that spans reads or chunks (a copy). */
  #pending = null;

  /** `onTitle(id, seq, publishedAt)`: for each event with an id and a benchmark title. */
  constructor(onTitle) {
    this.onTitle = onTitle;
  }

  /**
   * The next `length` bytes of the response, in `bytes` (which may be longer: the worker
   * reads every socket into one shared buffer, so nothing of it is kept without a copy).
   */
  push(bytes, length = bytes.length) {
    let at = 0;
    if (this.#state === HEAD) {
      if (this.#head) {
        bytes = Buffer.concat([this.#head, bytes.subarray(0, length)]);
        length = bytes.length;
      }
      const end = bytes.indexOf(HEAD_END);
      if (end === -1 || end + HEAD_END.length > length) {
        this.#head = Buffer.from(bytes.subarray(0, length));
        return;
      }
      this.#head = null;
      const head = bytes.toString('latin1', 0, end);
      // `HTTP/1.1 200 OK`
      this.status = Number(head.slice(9, 12)) || -1;
      if (this.status !== 200) this.#state = DONE;
      else this.#state = /^transfer-encoding:[ \t]*chunked[ \t]*$/im.test(head) ? CHUNK_SIZE : RAW;
      at = end + HEAD_END.length;
    }
    while (at < length) {
      switch (this.#state) {
        case CHUNK_SIZE: {
          // `<hex>[;extension]\r\n`, which may itself be split anywhere.
          const c = bytes[at++];
          if (c === LF) {
            // Size 0 ends the body; trailers, if any, are not read.
            this.#state = this.#size === 0 ? DONE : CHUNK_DATA;
            this.#extension = false;
          } else if (c === 0x3b) {
            this.#extension = true;
          } else if (!this.#extension && hexValue(c) !== -1) {
            this.#size = this.#size * 16 + hexValue(c);
          }
          break;
        }
        case CHUNK_DATA: {
          const end = Math.min(length, at + this.#size);
          this.#body(bytes, at, end);
          this.#size -= end - at;
          at = end;
          if (this.#size === 0) this.#state = CHUNK_END;
          break;
        }
        case CHUNK_END:
          // The CRLF after a chunk's data.
          if (bytes[at++] === LF) this.#state = CHUNK_SIZE;
          break;
        case RAW:
          this.#body(bytes, at, length);
          at = length;
          break;
        default:
          return;
      }
    }
  }

  /** Body bytes `bytes[start, end)`: each complete event, and the rest kept for later. */
  #body(bytes, start, end) {
    // A view of these bytes alone, so that no search runs on past them: into the next
    // chunk, or through the stale rest of the shared buffer (64 KB, for an event without
    // a title such as the service's `unread-count` after each notification).
    let part = bytes.subarray(start, end);
    if (this.#pending) {
      part = Buffer.concat([this.#pending, part]);
      this.#pending = null;
    }
    let from = 0;
    while (part.length - from >= 2) {
      const blank = part.indexOf(EVENT_END, from);
      if (blank === -1) break;
      this.events += 1;
      this.#event(part, from, blank + 1);
      from = blank + 2;
    }
    // Copied: a view would keep the whole read buffer alive while the stream waits.
    if (from < part.length) this.#pending = Buffer.from(part.subarray(from));
  }

  /** One event's lines, `bytes[start, end)`; each line ends with `\n`. */
  #event(bytes, start, end) {
    const title = bytes.indexOf(TITLE, start);
    if (title === -1 || title >= end) return; // retry:, a comment, or another event
    // The `id:` line comes before the data (Nest writes `event:` first, the others after
    // it). A few short lines: walked here, cheaper than more calls into native indexOf.
    let id = start;
    while (!isIdLine(bytes, id)) {
      while (bytes[id] !== LF) id += 1;
      id += 1;
      if (id >= title) return;
    }
    id += 4;
    let idEnd = id;
    while (bytes[idEnd] !== LF) idEnd += 1;
    let i = title + TITLE.length;
    let seq = 0;
    for (let c = bytes[i]; c >= 0x30 && c <= 0x39; c = bytes[++i]) seq = seq * 10 + c - 0x30;
    if (bytes[i] !== AT) return;
    // The epoch ms with its decimals as one integer, then scaled: exact below 2^53
    // (ms since 1970 with 3 decimals have 16 digits), so equal to Number() of the text.
    let digits = 0;
    let scale = 1;
    let decimals = false;
    for (let c = bytes[++i]; (c >= 0x30 && c <= 0x39) || c === DOT; c = bytes[++i]) {
      if (c === DOT) decimals = true;
      else {
        digits = digits * 10 + c - 0x30;
        if (decimals) scale *= 10;
      }
    }
    if (bytes[i] !== QUOTE) return;
    this.onTitle(bytes.latin1Slice(id, idEnd), seq, digits / scale);
  }
}
