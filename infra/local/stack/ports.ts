import { connect, createServer } from 'node:net';

/** Asks the kernel for a free TCP port on the loopback interface. */
export const freePort = (host = '127.0.0.1'): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not read the allocated port'));
      });
    });
  });

/**
 * Hands out free loopback ports, never the same one twice in one stack start: the kernel may
 * return a port again once its probe socket is closed, and two children must not race for it.
 */
export class PortAllocator {
  readonly #given = new Set<number>();

  constructor(private readonly host = '127.0.0.1') {}

  async next(): Promise<number> {
    for (let tries = 0; tries < 50; tries += 1) {
      const port = await freePort(this.host);
      if (!this.#given.has(port)) {
        this.#given.add(port);
        return port;
      }
    }
    throw new Error(`no free port found on ${this.host} after 50 tries`);
  }

  /** Allocates several distinct ports at once, keyed by name. */
  async many<K extends string>(names: readonly K[]): Promise<Record<K, number>> {
    const result = {} as Record<K, number>;
    for (const name of names) result[name] = await this.next();
    return result;
  }
}

/** Resolves true when something accepts TCP connections on host:port. */
export const isPortOpen = (port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
