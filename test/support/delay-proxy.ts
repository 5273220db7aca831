import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a local server (Redis) that can hold one command on its way,
 * as a slow network or a stalled server would: the command is sent by the client, and
 * reaches the server only after the client stopped waiting for it.
 */
export class DelayProxy {
  private readonly sockets = new Set<Socket>();
  private trigger: { marker: Buffer; ms: number } | null = null;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(targetPort: number): Promise<DelayProxy> {
    let proxy: DelayProxy | null = null;
    const server = createServer((client) => proxy!.connect(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new DelayProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  /**
   * The next bytes from a client that contain `marker` (and all that follow them on that
   * connection, in order) reach the server `ms` later.
   */
  delayNext(marker: string, ms: number): void {
    this.trigger = { marker: Buffer.from(marker), ms };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: Socket, targetPort: number): void {
    const upstream = createConnection(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    let held: Buffer[] | null = null;
    client.on('data', (chunk: Buffer) => {
      if (held) {
        held.push(chunk);
        return;
      }
      const trigger = this.trigger;
      if (trigger && chunk.includes(trigger.marker)) {
        this.trigger = null;
        held = [chunk];
        setTimeout(() => {
          for (const part of held ?? []) upstream.write(part);
          held = null;
        }, trigger.ms);
        return;
      }
      upstream.write(chunk);
    });
  }
}
