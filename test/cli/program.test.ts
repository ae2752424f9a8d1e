import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { createReceiptSigner } from '../../shared/adapters/crypto/receipt-signer.js';
import { signReceipt } from '../../shared/domain/receipt.js';
import { pubkeyHex, secretKey } from '../shared/domain/helpers.js';
import { runInProcess } from './run-in-process.js';

/** Runs the CLI in this process with captured output; no API is configured or reachable. */
const cli = (args: string[], stdinText = '') =>
  // An empty run folder and an API nothing listens on: these commands must not need one.
  runInProcess(args, { runDir: dir, apiUrl: 'http://127.0.0.1:1', stdinText });

let dir: string;
const P1 = pubkeyHex(1);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tipstream-cli-'));
});

describe('tipstream (in process, offline)', () => {
  it('prints help with the exit codes and targets (exit 0)', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(EXIT.OK);
    expect(stdout).toMatch(/Exit codes:/);
    expect(stdout).toMatch(/TIPSTREAM_PLATFORM_SECRET/);
  });

  it.each([
    { args: ['nonsense'], error: /unknown command/ },
    { args: ['tip'], error: /missing required argument/ },
    { args: ['tip', P1, '1.5'], error: /sats must be a whole number/ },
    { args: ['payout', 'status'], error: /missing required argument 'batchId/ },
  ])('exits 2 for usage errors: $args', async ({ args, error }) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(EXIT.USAGE);
    expect(stderr).toMatch(error);
  });

  it.each([
    { args: ['tip', '--json'], error: /missing required argument 'recipient'/ },
    { args: ['--json', 'nonsense'], error: /unknown command 'nonsense'/ },
    { args: ['payout', 'status', '--json'], error: /missing required argument 'batchId/ },
    { args: ['--json'], error: /no command given: see tipstream --help/ },
  ])('gives --json its one document for a usage error too: $args', async ({ args, error }) => {
    const { code, stdout } = await cli(args);
    expect(code).toBe(EXIT.USAGE);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      exitCode: EXIT.USAGE,
      error: expect.stringMatching(error),
    });
  });

  it('validates a payout file before anything else: every bad line, exit 2, nothing sent', async () => {
    const file = join(dir, 'bad.csv');
    await writeFile(
      file,
      ['pubkey,amount_sats,memo', `${P1},10,ok`, `${P1},-1,neg`, `${P1},abc,x`, 'x,1,y'].join('\n'),
    );
    const { code, stderr, stdout } = await cli(['payout', file, '--json']);
    expect(code).toBe(EXIT.USAGE);
    expect(stderr).toMatch(/3 problems; nothing was submitted/);
    expect(JSON.parse(stdout).errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5]);
  });

  it('dry-runs a valid payout file without an API', async () => {
    const file = join(dir, 'ok.csv');
    await writeFile(file, `${P1},10,ok\n${P1},5,\n`);
    const { code, stdout } = await cli(['payout', file, '--dry-run', '--json']);
    expect(code).toBe(EXIT.OK);
    expect(JSON.parse(stdout)).toMatchObject({
      dryRun: true,
      rows: 2,
      totalMsat: '15000',
      batches: [{ rows: 2, firstLine: 1, lastLine: 2 }],
    });
  });

  it('reports an API that does not answer with exit 3 and what to check', async () => {
    const { code, stderr } = await cli(['status', 'some-tip']);
    expect(code).toBe(EXIT.UNREACHABLE);
    expect(stderr).toMatch(/cannot reach the Tipstream API at http:\/\/127.0.0.1:1/);
    expect(stderr).toMatch(/TIPSTREAM_API_URL/);
  }, 20_000);

  it('verifies a receipt from standard input offline, and rejects a tampered one (exit 1)', async () => {
    const preimage = new Uint8Array(32).fill(4);
    const signed = signReceipt(
      {
        version: 1,
        tipId: 'p:t',
        platformId: 'p',
        recipient: P1,
        amountMsat: '1000',
        feeMsat: '0',
        paymentHash: bytesToHex(sha256(preimage)),
        preimage: bytesToHex(preimage),
        hops: [],
        settledAt: '2026-11-24T10:00:00.000Z',
        attempts: 1,
      },
      createReceiptSigner(secretKey(5)),
    );
    const valid = await cli(['verify-receipt', '-'], JSON.stringify(signed));
    expect(valid.code).toBe(EXIT.OK);
    expect(valid.stdout).toMatch(/^valid receipt: tip p:t/);
    const tampered = structuredClone(signed);
    tampered.receipt.recipient = pubkeyHex(2);
    const invalid = await cli(['verify-receipt', '-', '--json'], JSON.stringify(tampered));
    expect(invalid.code).toBe(EXIT.FAILED);
    expect(JSON.parse(invalid.stdout)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/signature does not verify/),
    });
  });
});
