import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { pubkeyHex } from '../shared/domain/helpers.js';
import { runInProcess } from './run-in-process.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A hand-written stand-in for the Tipstream API: `answer` decides each response. */
const fakeApi = async (answer: (request: Seen, index: number) => Answer) => {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      const { status, body: json, headers = {} } = answer(request, seen.length - 1);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

let dir: string;
let api: Awaited<ReturnType<typeof fakeApi>> | undefined;
const P1 = pubkeyHex(1);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tipstream-cli-commands-'));
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Runs the CLI in this process against `apiUrl`, output captured. */
const cli = (apiUrl: string, args: string[], { whileRunning = async () => {} } = {}) =>
  runInProcess(args, { runDir: dir, apiUrl, whileRunning });

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never met');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('a tip whose outcome is unknown', () => {
  it('names the Idempotency-Key that retries it without paying twice, and that key is the one sent', async () => {
    api = await fakeApi(() => ({ status: 503, body: { title: 'Service Unavailable' } }));
    const run = await cli(api.url, ['tip', P1, '21']);
    expect(run.code).toBe(EXIT.UNREACHABLE);
    const keys = new Set(api.seen.map((request) => request.headers['idempotency-key']));
    expect(api.seen).toHaveLength(3); // retried with the same key
    expect(keys.size).toBe(1);
    const [key] = [...keys];
    expect(run.stderr).toContain(`may have been accepted`);
    expect(run.stderr).toContain(`--idempotency-key ${key}`);

    await api.close();
    api = await fakeApi(() => ({
      status: 200,
      body: { tipId: 'p:t1', status: 'ACCEPTED', amountMsat: '21000', attempts: 0 },
      headers: { 'idempotent-replayed': 'true' },
    }));
    const retried = await cli(api.url, ['tip', P1, '21', '--idempotency-key', String(key)]);
    expect(retried.code, retried.stderr).toBe(EXIT.OK);
    expect(api.seen[0]?.headers['idempotency-key']).toBe(key);
    expect(retried.stderr).toMatch(/already accepted earlier/);
  });
});

describe('status --wait --json, Ctrl-C', () => {
  it('detaches with exit 130 and still prints its one JSON document', async () => {
    api = await fakeApi(() => ({
      status: 200,
      body: { tipId: 'p:t1', status: 'ACCEPTED', amountMsat: '1000', attempts: 0 },
    }));
    const before = new Set(process.listeners('SIGINT'));
    const fake = api;
    const run = await cli(fake.url, ['status', 'p:t1', '--wait', '--json'], {
      whileRunning: async () => {
        await until(() => fake.seen.length > 0);
        // The CLI's own Ctrl-C listener, called as the signal would (not the test runner's).
        const listener = process.listeners('SIGINT').find((candidate) => !before.has(candidate));
        expect(listener).toBeDefined();
        listener?.('SIGINT');
      },
    });
    expect(run.code).toBe(EXIT.DETACHED);
    expect(JSON.parse(run.stdout)).toMatchObject({
      tipId: 'p:t1',
      status: 'ACCEPTED',
      watch: 'detached',
    });
    expect(run.stderr).toContain('tipstream status p:t1 --wait');
    expect(process.listeners('SIGINT')).toHaveLength(before.size);
  });
});

describe('a payout sent in parts, one part refused', () => {
  it("shows the API's row errors and the base key that keeps the accepted part from being paid twice", async () => {
    const lines = ['pubkey,amount_sats,memo'];
    for (let i = 0; i < 10_001; i += 1) lines.push(`${P1},1,row ${i + 1}`);
    const file = join(dir, 'parts.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    api = await fakeApi((_request, index) =>
      index === 0
        ? {
            status: 202,
            body: { batchId: 'b1', status: 'ACCEPTED', rows: 10_000, totalMsat: '10000000' },
          }
        : {
            status: 422,
            body: {
              type: 'https://tipstream.dev/problems/invalid-rows',
              title: 'Some rows are not valid',
              status: 422,
              detail: '1 row(s) have problems; nothing was enqueued',
              errors: [{ line: 10_002, message: 'line 10002: amountMsat is over the maximum' }],
            },
          },
    );
    const run = await cli(api.url, ['payout', file, '--json']);
    expect(run.code).toBe(EXIT.USAGE);
    const keys = api.seen.map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual([
      expect.stringMatching(/-part1of2$/),
      expect.stringMatching(/-part2of2$/),
    ]);
    const baseKey = String(keys[0]).replace(/-part1of2$/, '');
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({
      ok: false,
      exitCode: EXIT.USAGE,
      problem: { errors: [{ line: 10_002 }] },
    });
    expect(document.hint).toContain('1 of 2 parts were accepted and are being paid (b1)');
    expect(document.hint).toContain(`--idempotency-key ${baseKey}`);
    expect(run.stderr).toMatch(/the API found problems the local check did not/);
    expect(run.stderr).toMatch(/line 10002: amountMsat is over the maximum/);
  });
});

describe('payout status', () => {
  it('refuses an INCOMPLETE batch with what to do, instead of reporting or watching it', async () => {
    api = await fakeApi(() => ({
      status: 200,
      body: {
        batchId: 'b7',
        kind: 'payout',
        status: 'INCOMPLETE',
        acceptedAt: '2026-11-30T00:00:00.000Z',
        incomplete: {
          unrecordedRows: 3,
          detail:
            'incomplete: 3 of 5 rows not recorded (…); retry the request with the same Idempotency-Key and body',
        },
        counts: { total: 5, succeeded: 0, failed: 0, pending: 5 },
        msat: { total: '5000', succeeded: '0', failed: '0', pending: '5000', fees: '0' },
      },
    }));
    const run = await cli(api.url, ['payout', 'status', 'b7', '--no-watch']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain('batch b7 is incomplete: 3 of 5 rows not recorded');
    expect(run.stderr).toContain('run the same `tipstream payout <file>`');
  });
});

describe('--secret-file', () => {
  const accepted = (): Answer => ({
    status: 202,
    body: { batchId: 'b9', status: 'ACCEPTED', rows: 1, totalMsat: '1000' },
  });

  it('warns when other users can read it, and the resume command keeps it (never the secret)', async () => {
    const secretFile = join(dir, 'loose-secret');
    await writeFile(secretFile, 'tss_from_file\n');
    await chmod(secretFile, 0o644);
    const payout = join(dir, 'one.csv');
    await writeFile(payout, `${P1},1,x\n`);
    api = await fakeApi(accepted);
    const run = await cli(api.url, ['--secret-file', secretFile, 'payout', payout, '--no-watch']);
    expect(run.code, run.stderr).toBe(EXIT.OK);
    expect(run.stderr).toContain(`--secret-file ${secretFile} can be read by other users`);
    expect(run.stderr).toContain(`chmod 600 ${secretFile}`);
    expect(run.stdout).toContain(`tipstream payout status b9 `);
    expect(run.stdout).toContain(`--secret-file ${secretFile}`);
    expect(run.stdout + run.stderr).not.toContain('tss_from_file');

    await chmod(secretFile, 0o600);
    const tight = await cli(api.url, ['--secret-file', secretFile, 'payout', payout, '--no-watch']);
    expect(tight.code).toBe(EXIT.OK);
    expect(tight.stderr).not.toContain('can be read by other users');
  });

  it('refuses an empty file instead of falling back to another secret', async () => {
    const secretFile = join(dir, 'empty-secret');
    await writeFile(secretFile, '\n', { mode: 0o600 });
    api = await fakeApi(() => ({ status: 404, body: {} }));
    const run = await cli(api.url, ['--secret-file', secretFile, 'status', 'x']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain(`--secret-file ${secretFile} is empty`);
    expect(api.seen).toEqual([]);
  });
});
