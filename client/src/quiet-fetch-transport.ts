/**
 * The transport EventSourcePolyfill reads a stream with, as its own fetch transport does,
 * except for one thing: when the connection broke mid-stream (the service crashed, the
 * network dropped), closing the EventSource cancels a reader that has already failed,
 * and the polyfill leaves the rejected promise of that cancel() unhandled. Chromium then
 * reports an uncaught "network error" in every polyfill tab. Here that rejection is
 * handled. And a connection that fails ends without its error object: the polyfill's
 * source build (what bundlers import; its minified build does not) writes that object
 * with console.error on every failed attempt, a console error per retry during an
 * outage, while the `error` event it dispatches all the same is what ResilientStream
 * acts on. Everything else goes to the polyfill as before. ResilientStream hands this
 * transport to the polyfill (its `Transport` option) for every `polyfill` stream.
 */
type OnStart = (
  status: number,
  statusText: string,
  contentType: string | null,
  headers: Headers,
) => void;

export class QuietFetchTransport {
  open(
    _xhr: unknown,
    onStart: OnStart,
    onProgress: (chunk: string) => void,
    onFinish: (error?: unknown) => void,
    url: string,
    withCredentials: boolean,
    headers: Record<string, string>,
  ): { abort(): void } {
    const controller = new AbortController();
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    const read = async () => {
      const response = await fetch(url, {
        headers,
        credentials: withCredentials ? 'include' : 'same-origin',
        signal: controller.signal,
        cache: 'no-store',
      });
      const decoder = new TextDecoder();
      const body = response.body;
      reader = body ? body.getReader() : null;
      onStart(
        response.status,
        response.statusText,
        response.headers.get('Content-Type'),
        response.headers,
      );
      if (!reader) return;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        onProgress(decoder.decode(value, { stream: true }));
      }
    };
    // A failure (or an abort: the EventSource closing on purpose) still ends the
    // connection, hence the `error` event; only the console line is left out.
    read().then(
      () => onFinish(undefined),
      () => onFinish(undefined),
    );
    return {
      abort: () => {
        reader?.cancel().catch(() => undefined);
        controller.abort();
      },
    };
  }
}
