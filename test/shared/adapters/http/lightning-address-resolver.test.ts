import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FetchFailedError,
  FetchRefusedError,
  guardedGet,
} from '../../../../shared/adapters/http/guarded-fetch.js';
import { createLightningAddressResolver } from '../../../../shared/adapters/http/lightning-address-resolver.js';
import { parseLightningAddress } from '../../../../shared/domain/lightning-address.js';
import { isPublicAddress } from '../../../../shared/domain/public-address.js';
import { PermanentPaymentError, TransientPaymentError } from '../../../../shared/ports/errors.js';

const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
const POLICY = { allowHosts: [] as string[], timeoutMs: 400, maxBytes: 4_096, maxRedirects: 3 };

/** A hostile Lightning Address server on loopback: every trick the payer must not fall for. */
let server: Server;
let host: string;
const hits: string[] = [];
const handle = (request: IncomingMessage, response: ServerResponse) => {
  const path = request.url ?? '';
  hits.push(path);
  const json = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (path === '/.well-known/keysend/carol') {
    return json(200, { status: 'OK', tag: 'keysend', pubkey: G, customData: [] });
  }
  if (path === '/.well-known/keysend/hop') {
    response.writeHead(302, { location: '/.well-known/keysend/carol' });
    return response.end();
  }
  if (path === '/.well-known/keysend/away') {
    // 127.0.0.2 is loopback too, but another host: a redirect must never leave the host.
    response.writeHead(302, { location: `http://127.0.0.2:${host.split(':')[1]}/x` });
    return response.end();
  }
  if (path === '/.well-known/keysend/metadata') {
    response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
    return response.end();
  }
  if (path === '/.well-known/keysend/badhop') {
    response.writeHead(302, { location: 'http://[' });
    return response.end();
  }
  if (path === '/.well-known/keysend/huge') {
    response.writeHead(200, { 'content-type': 'application/json' });
    return response.end(JSON.stringify({ tag: 'keysend', pad: 'x'.repeat(100_000) }));
  }
  if (path === '/.well-known/keysend/chunked') {
    // No content-length: the size is counted while reading.
    response.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 100; i += 1) response.write('x'.repeat(1_000));
    return response.end();
  }
  if (path === '/.well-known/keysend/slow') return; // never answers
  if (path.startsWith('/.well-known/keysend/down') || path.startsWith('/.well-known/lnurlp/down')) {
    return json(503, { status: 'ERROR', reason: 'maintenance' });
  }
  return json(404, {});
};

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

const resolver = (allow = true) =>
  createLightningAddressResolver({
    fetch: { ...POLICY, allowHosts: allow ? [host] : [] },
    cacheTtlMs: 60_000,
  });
const resolve = (raw: string, allow = true) =>
  resolver(allow).resolve(parseLightningAddress(raw), 5_000n);

describe('SSRF guard', () => {
  it.each([
    ['10.0.0.1', 'x@10.0.0.1'],
    ['169.254.169.254 (cloud metadata)', 'x@169.254.169.254'],
    ['192.168.1.1', 'x@192.168.1.1'],
    ['127.0.0.1 without the allowlist', 'carol@127.0.0.1:1'],
    ['[::1]', 'x@[::1]:8080'],
    ['[::ffff:10.0.0.1] (IPv4-mapped)', 'x@[::ffff:10.0.0.1]'],
    ['[fe80::1] (link-local)', 'x@[fe80::1]'],
  ])('refuses %s before connecting, permanently, with the reason', async (_, raw) => {
    const error = await resolve(raw, false).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentPaymentError);
    expect((error as PermanentPaymentError).code).toBe('ADDRESS_UNRESOLVED');
    expect((error as Error).message).toMatch(/^x@|^carol@/);
    expect((error as Error).message).toMatch(
      /private, loopback or link-local address, which is not fetched/,
    );
  });

  it('refuses a name that resolves to loopback (localhost), checked on every resolved address', async () => {
    const port = host.split(':')[1];
    const error = await guardedGet(`https://localhost:${port}/`, POLICY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect((error as Error).message).toMatch(
      /localhost:\d+ resolves to (127\.0\.0\.1|::1), a private, loopback or link-local address/,
    );
  });

  it('refuses plain http outside the allowlist', async () => {
    await expect(guardedGet('http://wallet.example/.well-known/keysend/x', POLICY)).rejects.toThrow(
      /only https:\/\/ is fetched/,
    );
  });

  it('follows a redirect on the same host, and refuses one to another host', async () => {
    expect(await resolve(`hop@${host}`)).toMatchObject({ kind: 'keysend', pubkey: G });
    await expect(resolve(`away@${host}`)).rejects.toThrow(
      /redirected to another host \(127\.0\.0\.2:\d+\), which is not followed/,
    );
    await expect(resolve(`metadata@${host}`)).rejects.toThrow(
      /redirected to another host \(169\.254\.169\.254\)/,
    );
  });

  it('refuses a redirect to a Location that is not a URL, permanently (not a TypeError the payer retries forever)', async () => {
    const error = await resolve(`badhop@${host}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentPaymentError);
    expect((error as Error).message).toMatch(/redirected to .*not a URL/);
  });

  it('refuses an oversized answer, declared or streamed', async () => {
    await expect(resolve(`huge@${host}`)).rejects.toThrow(/answered with more than 4096 bytes/);
    await expect(resolve(`chunked@${host}`)).rejects.toThrow(/answered with more than 4096 bytes/);
  });

  it('gives up on a slow server within the time bound: transient', async () => {
    const started = Date.now();
    const error = await resolve(`slow@${host}`).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(TransientPaymentError);
    expect((error as Error).message).toMatch(/did not answer within 400 ms/);
  });

  it('classifies special addresses', () => {
    for (const address of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.0.1',
      '::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      'not an ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['1.1.1.1', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('refuses IPv6 forms that embed or translate a private IPv4 address (IPv4-compatible, SIIT, 6to4, local-use NAT64)', () => {
    // Each of these reaches 10.0.0.1 / 169.254.169.254 / 127.0.0.1 through a translator or tunnel
    // the operator's network may run, as 64:ff9b::/96 does (already refused).
    for (const address of [
      '::a00:1',
      '::127.0.0.1',
      '::ffff:0:a9fe:a9fe',
      '2002:a00:1::1',
      '2002:7f00:1::',
      '64:ff9b:1::a9fe:a9fe',
      'fec0::1',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['1.1.1.1', '::ffff:1.1.1.1', '2606:4700::1111']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('reports an unreachable host as transient', async () => {
    const error = await guardedGet('http://127.0.0.1:1/', {
      ...POLICY,
      allowHosts: ['127.0.0.1:1'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchFailedError);
  });
});

describe('resolution outcomes', () => {
  it('says in words that an address has neither keysend details nor LNURL-pay', async () => {
    await expect(resolve(`nobody@${host}`)).rejects.toThrow(
      `nobody@${host}: no keysend details and the LNURL server answered 404`,
    );
  });

  it('takes a 5xx as transient', async () => {
    const error = await resolve(`down@${host}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientPaymentError);
    expect((error as Error).message).toBe(`down@${host}: the keysend details server answered 503`);
  });

  it('caches keysend details: a second resolution asks no server', async () => {
    const cached = resolver();
    const address = parseLightningAddress(`carol@${host}`);
    await cached.resolve(address, 1_000n);
    const before = hits.length;
    expect(await cached.resolve(address, 1_000n)).toMatchObject({ kind: 'keysend', pubkey: G });
    expect(hits.length).toBe(before);
  });
});
