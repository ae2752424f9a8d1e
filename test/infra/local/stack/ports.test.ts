import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, isPortOpen, PortAllocator } from '../../../../infra/local/stack/ports.js';

const listen = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => done(server));
  });

describe('ports', () => {
  it('freePort gives a loopback port that can be bound right away', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    const server = await listen(port);
    expect(await isPortOpen(port)).toBe(true);
    await new Promise((done) => server.close(done));
    expect(await isPortOpen(port)).toBe(false);
  });

  it('PortAllocator never hands out the same port twice', async () => {
    const allocator = new PortAllocator();
    const ports = await Promise.all(Array.from({ length: 40 }, () => allocator.next()));
    expect(new Set(ports).size).toBe(40);
  });

  it('PortAllocator.many names each port and keeps them distinct', async () => {
    const allocator = new PortAllocator();
    const ports = await allocator.many(['rpc', 'p2p', 'rest'] as const);
    expect(Object.keys(ports)).toEqual(['rpc', 'p2p', 'rest']);
    expect(new Set(Object.values(ports)).size).toBe(3);
    const more = await allocator.many(['rpc', 'p2p'] as const);
    for (const port of Object.values(more)) expect(Object.values(ports)).not.toContain(port);
  });

  it('isPortOpen says false for a port nobody listens on', async () => {
    expect(await isPortOpen(await freePort(), '127.0.0.1', 500)).toBe(false);
  });
});
