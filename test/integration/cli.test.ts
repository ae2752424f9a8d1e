import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { parse } from 'csv-parse/sync';
import { getInvoices } from 'lightning';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stackNode } from '../../shared/config/stack-file.js';
import {
  createTestQueue,
  newTestPlatform,
  receiptPublicKey,
  receivedBy,
  useLocalService,
} from './helpers.js';

const stack = inject('stack');
const BIN = join(process.cwd(), 'cli', 'bin.mjs');
// The project's Node 24, so the launcher runs the CLI in its own process (signals reach it).
const NODE = join(process.cwd(), 'node_modules', '.bin', 'node');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Starts the real CLI as a subprocess (bin.mjs through tsx), as an operator's shell would. */
const startCli = (args: string[], env: Record<string, string | undefined>, input?: string) => {
  const child = spawn(NODE, [BIN, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, NODE_OPTIONS: '--disable-warning=DEP0123', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  child.stdin.end(input ?? '');
  const started = Date.now();
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...run, ms: Date.now() - started }));
  });
  return { child, output: run, done };
};

const waitForOutput = async (
  run: { stdout: string; stderr: string },
  pattern: RegExp,
  child: ChildProcess,
) => {
  const deadline = Date.now() + 60_000;
  while (!pattern.test(run.stderr + run.stdout)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`no ${pattern} in output:\n${run.stderr}\n${run.stdout}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe.runIf(stack.lightning.network === 'regtest')('the tipstream CLI on the real stack', () => {
  const f = useLocalService(stack, 'cli', () => ({
    reconcileEveryMs: 0,
    apiPort: 0,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', TIPSTREAM_PAYER_CONCURRENCY: '10' },
  }));
  const pubkey = (name: string) => stackNode(stack, name).pubkey;
  let platform: { platformId: string; secret: string };
  let dir: string;
  /** Target by flags (--api, --platform), the secret by environment, as the brief of a deploy. */
  let cli: (args: string[], input?: string, env?: Record<string, string>) => Promise<CliRun>;
  const json = (run: CliRun) => JSON.parse(run.stdout);

  beforeAll(async () => {
    platform = await newTestPlatform(f.clients, 'it-cli', 10_000_000);
    dir = await mkdtemp(join(tmpdir(), 'tipstream-cli-it-'));
    cli = (args, input, env = {}) =>
      startCli(
        ['--api', f.service.api?.url ?? '', '--platform', platform.platformId, ...args],
        { TIPSTREAM_API_URL: undefined, TIPSTREAM_PLATFORM_SECRET: platform.secret, ...env },
        input,
      ).done;
  });

  describe('tip, status, receipts, verify-receipt', () => {
    let paid: { tipId: string; receipt: { receipt: { paymentHash: string } } };

    it('tips carol by node name, waits for the receipt, and carol received it with the message', async () => {
      const message = `cli test ${randomUUID().slice(0, 8)}`;
      const run = await cli(['tip', 'carol', '21', '--message', message, '--wait', '--json']);
      expect(run.code, run.stderr).toBe(0);
      paid = json(run);
      expect(paid).toMatchObject({
        status: 'SUCCEEDED',
        recipient: pubkey('carol'),
        amountMsat: '21000',
        receiptVerification: { ok: true },
      });
      expect(run.stderr).toMatch(/accepted: tip .*21 sats to carol/);
      const invoices = await receivedBy(f.clients, 'carol', paid.receipt.receipt.paymentHash);
      expect(invoices).toHaveLength(1);
      expect(invoices[0]?.received_mtokens).toBe('21000');
      const text = invoices[0]?.payments
        .flatMap((payment) => payment.messages)
        .find((record) => record.type === '34349334');
      expect(Buffer.from(text?.value ?? '', 'hex').toString('utf8')).toBe(message);
    });

    it('prints the signed receipt for people too', async () => {
      const run = await cli(['status', paid.tipId]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/status\s+SUCCEEDED/);
      expect(run.stdout).toMatch(/receipt\s+signature valid/);
      expect(run.stdout).toContain(`"paymentHash": "${paid.receipt.receipt.paymentHash}"`);
    });

    it('reports a tip to erin (no keysend) as failed with its reason, exit 1', async () => {
      const run = await cli(['tip', 'erin', '5', '--wait']);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/status\s+FAILED/);
      expect(run.stdout).toMatch(/failure\s+.*does not accept keysend.*REJECTED_BY_DESTINATION/);
    });

    it('verifies the receipt offline, and rejects a tampered one with the reason (exit 1)', async () => {
      const status = await cli(['status', paid.tipId, '--json']);
      const file = join(dir, 'tip.json');
      await writeFile(file, status.stdout);
      const valid = await cli(['verify-receipt', file]);
      expect(valid.code, valid.stderr).toBe(0);
      expect(valid.stdout).toMatch(/^valid receipt: tip /);

      const operatorKey = receiptPublicKey(f.service);
      const pinned = await cli(['verify-receipt', '-', '--pubkey', operatorKey], status.stdout);
      expect(pinned.code).toBe(0);

      const tampered = JSON.parse(status.stdout);
      tampered.receipt.receipt.amountMsat = '2100000';
      const rejected = await cli(['verify-receipt', '-'], JSON.stringify(tampered));
      expect(rejected.code).toBe(1);
      expect(rejected.stderr).toMatch(
        /INVALID receipt \(standard input\): signature does not verify .*altered/,
      );

      const otherKey = await cli(['verify-receipt', file, '--pubkey', 'ab'.repeat(32), '--json']);
      expect(otherKey.code).toBe(1);
      expect(json(otherKey)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/not the expected operator key/),
      });
    });

    it('sends two identical tips started at once as two tips (each signs its own Idempotency-Key, so neither is a replay)', async () => {
      const [a, b] = await Promise.all([
        cli(['tip', 'dave', '3', '--json']),
        cli(['tip', 'dave', '3', '--json']),
      ]);
      expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
      expect(json(a).tipId).not.toBe(json(b).tipId);
    });

    it("lists carol's receipts from this platform, newest first", async () => {
      const run = await cli(['receipts', pubkey('carol'), '--limit', '5', '--json']);
      expect(run.code).toBe(0);
      const body = json(run);
      expect(body.recipient).toBe(pubkey('carol'));
      expect(body.payouts[0]).toMatchObject({ tipId: paid.tipId, amountMsat: '21000' });
      expect(BigInt(body.totals.paidMsat)).toBeGreaterThanOrEqual(21_000n);
    });
  });

  describe('payout', () => {
    it('pays a 100-row CSV with an unreachable creator: that row fails with its reason in the result CSV', async () => {
      const memo = randomUUID().slice(0, 8);
      const lines = ['pubkey,amount_sats,memo'];
      for (let i = 0; i < 100; i += 1) {
        const who = i === 41 ? 'erin' : i % 2 === 0 ? 'carol' : 'dave';
        lines.push(`${pubkey(who)},${1 + (i % 10)},"payout ${memo}, row ${i + 1}"`);
      }
      const file = join(dir, 'payout-100.csv');
      const out = join(dir, 'payout-100.result.csv');
      await writeFile(file, `${lines.join('\n')}\n`);

      const run = await cli(['payout', file, '--out', out, '--interval', '500', '--json']);
      console.log(`CLI: 100-row payout end to end (validate, submit, all paid) in ${run.ms} ms`);
      expect(run.code, run.stderr).toBe(1); // one row failed
      const body = json(run);
      expect(body).toMatchObject({
        status: 'DONE',
        counts: { total: 100, succeeded: 99, failed: 1, pending: 0 },
        resultCsv: out,
      });
      expect(body.submitted).toEqual([
        expect.objectContaining({ rows: 100, replayed: false, batchId: body.batchIds[0] }),
      ]);
      // Not a terminal: plain progress lines on stderr, never a bar.
      expect(run.stderr).toMatch(/\d+\/100 rows \(\d+%\) · paid \d+ · failed \d+ · pending \d+/);
      expect(run.stderr).not.toContain('\u001b[');

      const records = parse(await readFile(out, 'utf8'), { columns: true }) as Array<
        Record<string, string>
      >;
      expect(records).toHaveLength(100);
      expect(Object.keys(records[0] ?? {})).toEqual([
        'row',
        'pubkey',
        'amount_sats',
        'status',
        'fee_msat',
        'payment_hash',
        'reason',
        'tip_id',
      ]);
      const erinRow = records.find((record) => record.row === '43');
      expect(erinRow).toMatchObject({ pubkey: pubkey('erin'), amount_sats: '2', status: 'FAILED' });
      expect(erinRow?.reason).toMatch(/does not accept keysend/);
      const others = records.filter((record) => record.row !== '43');
      expect(
        others.every(
          (record) =>
            record.status === 'SUCCEEDED' && /^[0-9a-f]{64}$/.test(record.payment_hash ?? ''),
        ),
      ).toBe(true);
      const carolRow = records.find((record) => record.row === '2');
      expect(carolRow).toMatchObject({ pubkey: pubkey('carol'), amount_sats: '1' });
      const invoices = await receivedBy(f.clients, 'carol', carolRow?.payment_hash ?? '');
      expect(invoices).toHaveLength(1);
      expect(invoices[0]?.received_mtokens).toBe('1000');

      // The same file again is the same batch (its Idempotency-Key comes from the content): nothing is paid twice.
      const again = await cli(['payout', file, '--out', out, '--json']);
      expect(again.code).toBe(1);
      expect(json(again).submitted).toEqual([
        expect.objectContaining({ batchId: body.batchIds[0], replayed: true }),
      ]);
      expect(again.stderr).toMatch(/already submitted earlier: batch .*nothing is paid twice/);
      // Re-saved by a spreadsheet (CRLF, a byte order mark): the same rows, the same payout.
      const resaved = join(dir, 'payout-100-resaved.csv');
      await writeFile(resaved, `\uFEFF${lines.join('\r\n')}\r\n`);
      const third = await cli(['payout', resaved, '--no-watch', '--json']);
      expect(third.code, third.stderr).toBe(0);
      expect(json(third).submitted).toEqual([
        expect.objectContaining({ batchId: body.batchIds[0], replayed: true }),
      ]);
      // The rows moved down a line: refused as a conflict, not paid again.
      const moved = join(dir, 'payout-100-moved.csv');
      await writeFile(moved, `\n${lines.join('\n')}\n`);
      const fourth = await cli(['payout', moved, '--json']);
      expect(fourth.code).toBe(2);
      expect(json(fourth)).toMatchObject({
        problem: { type: expect.stringMatching(/idempotency-conflict/) },
        hint: expect.stringMatching(/already submitted, laid out on other lines/),
      });
      // Carol's node holds each of her rows exactly once, for its amount, after all four runs
      // (checked by payment hash, so other payments to carol on the shared stack do not matter).
      const carolInvoices = (await getInvoices({ lnd: f.clients.lnd.carol as never, limit: 1000 }))
        .invoices;
      const carolRows = records.filter((record) => record.pubkey === pubkey('carol'));
      expect(carolRows).toHaveLength(50);
      for (const row of carolRows) {
        const received = carolInvoices.filter((invoice) => invoice.id === row.payment_hash);
        expect(received, `row ${row.row}`).toHaveLength(1);
        expect(received[0]?.received_mtokens).toBe(String(BigInt(row.amount_sats ?? 0) * 1000n));
      }
    });

    it('refuses a file with bad rows: every bad line printed, exit 2, nothing submitted', async () => {
      const file = join(dir, 'bad.csv');
      await writeFile(
        file,
        [
          'pubkey,amount_sats,memo',
          `${pubkey('carol')},10,ok`,
          `${pubkey('dave')},12.5,fraction`,
          `${pubkey('carol').slice(0, 60)},1,short`,
          `${pubkey('dave')},3,"never closed`,
        ].join('\n'),
      );
      // An API that does not answer: exit 2 (not 3) proves nothing was sent.
      const run = await cli(['--api', `http://127.0.0.1:${await closedPort()}`, 'payout', file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/3 problems; nothing was submitted/);
      expect(run.stderr).toMatch(/line 3: amount_sats must be a whole number/);
      expect(run.stderr).toMatch(/line 4: pubkey .* is 60 chars/);
      expect(run.stderr).toMatch(/line 5: a quote opened on this line is never closed/);
    });

    it('detaches on Ctrl-C without cancelling, and "payout status" resumes to the end', async () => {
      const memo = randomUUID().slice(0, 8);
      const lines = Array.from(
        { length: 60 },
        (_, i) => `${pubkey(i % 2 ? 'dave' : 'carol')},1,detach ${memo} ${i}`,
      );
      const file = join(dir, 'detach.csv');
      await writeFile(file, lines.join('\n'));
      const running = startCli(
        ['--api', f.service.api?.url ?? '', '--platform', platform.platformId, 'payout', file],
        { TIPSTREAM_API_URL: undefined, TIPSTREAM_PLATFORM_SECRET: platform.secret },
      );
      // Watching: the first progress line is out.
      await waitForOutput(running.output, /\/60 rows/, running.child);
      running.child.kill('SIGINT');
      const detached = await running.done;
      expect(detached.code).toBe(130);
      expect(detached.stderr).toMatch(
        /detached: the payout keeps running on the server \(nothing was cancelled\)/,
      );
      const batchId = /submitted: batch (\S+),/.exec(detached.stderr)?.[1] ?? '';
      expect(detached.stderr).toContain(`tipstream payout status ${batchId}`);

      const out = join(dir, 'detach.result.csv');
      const resumed = await cli(['payout', 'status', batchId, '--out', out, '--interval', '500']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/payout finished/);
      const records = parse(await readFile(out, 'utf8'), { columns: true }) as Array<
        Record<string, string>
      >;
      expect(records.map((record) => record.status)).toEqual(Array(60).fill('SUCCEEDED'));
      expect(records.map((record) => Number(record.row))).toEqual(
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
    });
  });

  describe('split', () => {
    const valueBlock = () => `<podcast:value type="lightning" method="keysend">
  <podcast:valueRecipient name="Carol (host)" type="node" address="${pubkey('carol')}" split="60"/>
  <podcast:valueRecipient name="Dave (co-host)" type="node" address="${pubkey('dave')}" split="40"/>
  <podcast:valueRecipient name="Hosting" type="node" address="${pubkey('dave')}" split="10" fee="true" customKey="696969" customValue="host-fee"/>
</podcast:value>`;

    it('previews the exact split, refuses to send unconfirmed, then sends and pays every part', async () => {
      const file = join(dir, 'value.xml');
      await writeFile(file, valueBlock());
      const preview = await cli(['split', file, '1000', '--dry-run', '--json']);
      expect(preview.code).toBe(0);
      expect(json(preview).parts.map((part: { amountMsat: string }) => part.amountMsat)).toEqual([
        '540000',
        '360000',
        '100000',
      ]);
      const human = await cli(['split', file, '1000', '--dry-run']);
      expect(human.stdout).toMatch(/Carol \(host\).*540,000.*540 sats/);

      const unconfirmed = await cli(['split', file, '1000']);
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toMatch(/pass --yes/);

      const run = await cli([
        'split',
        file,
        '1000',
        '--yes',
        '--wait',
        '-m',
        'great episode',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const body = json(run);
      expect(body.split.previewMatches).toBe(true);
      expect(body.counts).toEqual({ total: 3, succeeded: 3, failed: 0, pending: 0 });
      const hostRow = body.rows.find((row: { line: number }) => row.line === 1);
      const invoices = await receivedBy(f.clients, 'carol', hostRow.paymentHash);
      expect(invoices[0]?.received_mtokens).toBe('540000');
    });
  });

  describe('platform', () => {
    it('creates a platform, lists it, rotates its secret (both sign during the grace period), revokes a leaked one at once; npm run platform still works', async () => {
      const id = `it-cli-admin-${randomUUID().slice(0, 8)}`;
      const created = await cli(['platform', 'create', id, '--daily-limit-sats', '1000', '--json']);
      expect(created.code, created.stderr).toBe(0);
      const first = json(created);
      expect(first).toMatchObject({
        platformId: id,
        dailyLimitSats: 1000,
        secretIds: [expect.any(String)],
      });
      expect(first.secret).toMatch(/^tss_/);

      const duplicate = await cli(['platform', 'create', id]);
      expect(duplicate.code).toBe(2);
      expect(duplicate.stderr).toMatch(/already exists/);

      const rotated = json(await cli(['platform', 'rotate-secret', id, '--json']));
      expect(rotated.secretIds).toHaveLength(2);
      expect(rotated.secret).not.toBe(first.secret);

      const listed = json(await cli(['platform', 'list', '--json']));
      const entry = listed.platforms.find((p: { platformId: string }) => p.platformId === id);
      expect(entry).toMatchObject({ dailyLimitSats: 1000, secretIds: rotated.secretIds });
      expect(JSON.stringify(listed)).not.toContain(first.secret);

      // Signed with either active secret the API knows the platform (404 for an unknown tip, exit 2);
      // with a wrong secret it refuses the signature (401, exit 4).
      for (const secret of [first.secret, rotated.secret]) {
        const known = await cli(['--platform', id, 'status', 'no-such-tip'], '', {
          TIPSTREAM_PLATFORM_SECRET: secret,
        });
        expect(known.code, known.stderr).toBe(2);
        expect(known.stderr).toMatch(/tip-not-found/);
      }
      const wrong = await cli(['--platform', id, 'status', 'no-such-tip'], '', {
        TIPSTREAM_PLATFORM_SECRET: 'tss_wrong',
      });
      expect(wrong.code).toBe(4);
      expect(wrong.stderr).toMatch(/bad-signature[\s\S]*TIPSTREAM_PLATFORM_SECRET/);

      const npmRun = await new Promise<string>((resolve, reject) => {
        const child = spawn('npm', ['run', '-s', 'platform', '--', 'list']);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
      expect(npmRun).toMatch(new RegExp(`${id}\\s+1,000 sats/day\\s+2 active secret`));

      // The previous secret leaked: revoked in one step, refused at once (exit 4).
      const [, oldId] = rotated.secretIds as string[];
      const revoked = await cli(['platform', 'revoke-secret', id, oldId ?? '', '--json']);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(json(revoked)).toMatchObject({ revoked: oldId, secretIds: [rotated.secretIds[0]] });
      const statusWith = (secret: string) =>
        cli(['--platform', id, 'status', 'no-such-tip'], '', { TIPSTREAM_PLATFORM_SECRET: secret });
      expect((await statusWith(first.secret)).code).toBe(4);
      expect((await statusWith(rotated.secret)).code).toBe(2);
      // The only active secret is not revoked alone; --grace 0 replaces it in one step.
      const only = await cli(['platform', 'revoke-secret', id, rotated.secretIds[0]]);
      expect(only.code).toBe(2);
      expect(only.stderr).toMatch(/only active secret: rotate with no grace period instead/);
      const badGrace = await cli(['platform', 'rotate-secret', id, '--grace', '1w']);
      expect(badGrace.code).toBe(2);
      expect(badGrace.stderr).toMatch(/--grace "1w" must be a whole number with an optional unit/);
      const replaced = json(await cli(['platform', 'rotate-secret', id, '--grace', '0', '--json']));
      expect(replaced.secretIds).toHaveLength(1);
      expect((await statusWith(rotated.secret)).code).toBe(4);
      expect((await statusWith(replaced.secret)).code).toBe(2);
      // The default grace period is a day: the previous secret shows when it expires.
      const graced = json(await cli(['platform', 'rotate-secret', id, '--json']));
      const expiresAt = Date.parse(graced.secrets[1].expiresAt);
      expect(expiresAt - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(86_400_000);
    });
  });

  describe('dlq', () => {
    it('lists dead letters without consuming them, then redrives each back to its queue exactly once', async () => {
      const { queueUrl, dlqUrl } = await createTestQueue(f.clients, 'cli-dlq');
      const bodies = [1, 2, 3].map((i) =>
        JSON.stringify({
          version: 1,
          tipId: `it-cli-dlq-${randomUUID()}`,
          platformId: 'it-cli',
          recipientPubkey: pubkey('carol'),
          amountMsat: i * 1000,
        }),
      );
      for (const body of bodies) {
        await f.clients.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
      }
      const depth = async (url: string) => {
        const { Attributes = {} } = await f.clients.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ],
          }),
        );
        return [
          Number(Attributes.ApproximateNumberOfMessages),
          Number(Attributes.ApproximateNumberOfMessagesNotVisible),
        ];
      };

      // The tips queue given by mistake: refused, its messages stay with the payer.
      const wrong = await cli(['dlq', 'list', '--dlq', queueUrl]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/is not a dead-letter queue/);

      const listed = await cli(['dlq', 'list', '--dlq', dlqUrl, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(
        json(listed)
          .messages.map((m: { tipId: string }) => m.tipId)
          .sort(),
      ).toEqual(bodies.map((body) => JSON.parse(body).tipId).sort());
      // Still there, and visible at once: listing does not consume.
      expect(await depth(dlqUrl)).toEqual([3, 0]);
      const human = await cli(['dlq', 'list', '--dlq', dlqUrl]);
      expect(human.stdout).toMatch(/3 message\(s\)/);
      expect(human.stdout).toMatch(/carol \(/);

      const redriven = await cli(['dlq', 'redrive', '--dlq', dlqUrl, '--json']);
      expect(redriven.code, redriven.stderr).toBe(0);
      const result = json(redriven);
      expect(result.queueUrl).toBe(queueUrl); // found as the DLQ's only source queue
      expect(result.moved).toHaveLength(3);
      expect(result.failed).toEqual([]);
      expect(await depth(dlqUrl)).toEqual([0, 0]);

      const received: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const { Messages = [] } = await f.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 30,
          }),
        );
        received.push(...Messages.map((message) => message.Body ?? ''));
        if (Messages.length > 0) {
          await f.clients.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((message, index) => ({
                Id: String(index),
                ReceiptHandle: message.ReceiptHandle,
              })),
            }),
          );
        }
      }
      expect(received.sort()).toEqual([...bodies].sort());

      const empty = await cli(['dlq', 'redrive', '--dlq', dlqUrl, '--json']);
      expect(json(empty).moved).toEqual([]);
      await f.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await f.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    });
  });

  describe('targets and errors', () => {
    it('says what to run when there is no API to talk to (exit 3)', async () => {
      const run = await startCli(['status', 'x'], {
        TIPSTREAM_RUN_DIR: await mkdtemp(join(tmpdir(), 'tipstream-empty-')),
        TIPSTREAM_API_URL: undefined,
        TIPSTREAM_PLATFORM_ID: undefined,
        TIPSTREAM_PLATFORM_SECRET: undefined,
      }).done;
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/"npm start"/);
      expect(run.stderr).toMatch(/TIPSTREAM_API_URL/);
    });

    it('reports an API that does not answer (exit 3) and a node name off the local stack (exit 2)', async () => {
      const down = await cli(['--api', `http://127.0.0.1:${await closedPort()}`, 'status', 'x']);
      expect(down.code).toBe(3);
      expect(down.stderr).toMatch(/cannot reach the Tipstream API .*ECONNREFUSED/);

      const remote = await cli(['--api', 'https://tipstream.invalid', 'tip', 'carol', '1']);
      expect(remote.code).toBe(2);
      expect(remote.stderr).toMatch(/node names such as carol work only against the local stack/);
    });

    it('runs as the npm script too', async () => {
      const run = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn('npm', ['run', '-s', 'tipstream', '--', '--help']);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/Exit codes:/);
    });
  });
});
