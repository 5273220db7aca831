/**
 * The part of `event-source-polyfill` (a CommonJS/UMD module without types) this package
 * uses. Only the implementation files import it, so no published declaration refers to
 * this file.
 */
declare module 'event-source-polyfill' {
  export const EventSourcePolyfill: new (
    url: string,
    init: {
      headers: Record<string, string>;
      heartbeatTimeout?: number;
      Transport?: new () => unknown;
    },
  ) => EventSource;
}
