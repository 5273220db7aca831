/**
 * The transport EventSourcePolyfill reads a stream with, as its own fetch transport does,
 * except for one thing: when the connection broke mid-stream (the service crashed, the
 * network dropped), closing the EventSource cancels a reader that has already failed,
 * and the polyfill leaves the rejected promise of that cancel() unhandled. Chromium then
 * reports an uncaught "network error" in every polyfill tab. Here that rejection is
 * handled; everything else goes to the polyfill as before (its `Transport` option).
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
    read().then(
      () => onFinish(undefined),
      // An abort is the EventSource closing on purpose: no error to report.
      (error: unknown) =>
        onFinish(error instanceof DOMException && error.name === 'AbortError' ? undefined : error),
    );
    return {
      abort: () => {
        reader?.cancel().catch(() => undefined);
        controller.abort();
      },
    };
  }
}

type PolyfillInit = ConstructorParameters<NonNullable<Window['EventSourcePolyfill']>>[1];

/**
 * Makes `window.EventSourcePolyfill` (what the streams use) read through
 * {@link QuietFetchTransport}. Does nothing where the polyfill script is not loaded.
 */
export function quietPolyfillStreams(): void {
  const Polyfill = window.EventSourcePolyfill;
  if (!Polyfill) return;
  window.EventSourcePolyfill = class extends Polyfill {
    constructor(url: string, init: PolyfillInit) {
      super(url, { ...init, Transport: QuietFetchTransport } as typeof init);
    }
  };
}
