import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  cancelHodlInvoice,
  createHodlInvoice,
  getChannels,
  getInvoice,
  subscribeToPayViaRequest,
} from 'lightning';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createDynamoStuckFlags } from '../../shared/adapters/dynamodb/stuck-flags.js';
import { connectLndInspector } from '../../shared/adapters/lnd/lnd-node.js';
import { checkStuckTip } from '../../shared/app/stuck-payments.js';
import { LOCAL_CREDENTIALS } from '../../shared/config/aws.js';
import { readLndCredentials } from '../../shared/config/secrets.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { type StackClients, stackClients, TEST_TABLES } from './helpers.js';

const stack = inject('stack');
const execFileAsync = promisify(execFile);
const alice = stackNode(stack, 'alice');
/** `tipstream` as an operator runs it against a deployment: its DynamoDB and LND by environment. */
const tipstream = (args: string[]) =>
  execFileAsync(
    join(process.cwd(), 'node_modules', '.bin', 'node'),
    [join(process.cwd(), 'cli', 'bin.mjs'), ...args],
    {
      env: {
        ...process.env,
        NODE_OPTIONS: '--disable-warning=DEP0123',
        TIPSTREAM_DYNAMODB_ENDPOINT: stack.dynamodb.endpoint,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_REGION: stack.region,
        TIPSTREAM_LND_SOCKET: alice.socket,
        TIPSTREAM_LND_CERT_PATH: alice.certPath,
        TIPSTREAM_LND_MACAROON_PATH: alice.macaroonPath,
      },
    },
  );

/**
 * LND's own view of a payment held in flight (a hold invoice at carol keeps alice's HTLC in the
 * alice→bob channel), read by the real inspector, flagged by the stuck check and listed by
 * `tipstream stuck`.
 */
describe.runIf(stack.lightning.network === 'regtest')('payments stuck in flight in LND', () => {
  let clients: StackClients;
  const preimage = randomBytes(32);
  const hash = createHash('sha256').update(preimage).digest('hex');
  const tipId = `it-stuck-${randomUUID()}`;
  const inspector = connectLndInspector(
    readLndCredentials({
      TIPSTREAM_LND_SOCKET: alice.socket,
      TIPSTREAM_LND_CERT_PATH: alice.certPath,
      TIPSTREAM_LND_MACAROON_PATH: alice.macaroonPath,
    }),
    { rpcTimeoutMs: 10_000 },
  );

  beforeAll(async () => {
    clients = await stackClients(stack);
  });
  afterAll(async () => {
    await cancelHodlInvoice({ lnd: clients.lnd.carol as never, id: hash }).catch(() => {});
    // End the test's tip so no later reconciler meets it.
    const tip = await clients.ledger.getTip(tipId);
    if (tip?.state === 'SENDING') {
      await clients.ledger
        .markFailed(tip, { code: 'LND_ERROR', reason: 'test over' }, new Date())
        .catch(() => {});
    }
    clients?.destroy();
  });

  it("shows LND's view (attempt, first hop, timeout height, the channel carrying the hash) and flags the tip HTLC_PENDING", async () => {
    const { request } = await createHodlInvoice({
      lnd: clients.lnd.carol as never,
      id: hash,
      tokens: 1_234,
    });
    subscribeToPayViaRequest({ lnd: clients.lnd.alice as never, request, max_fee: 10 }).on(
      'error',
      () => {},
    );
    await waitFor(
      'carol to hold the HTLC',
      async () => (await getInvoice({ lnd: clients.lnd.carol as never, id: hash })).is_held,
      { timeoutMs: 30_000 },
    );

    const view = await inspector.inspectPayment(Buffer.from(hash, 'hex'));
    const { channels } = await getChannels({ lnd: clients.lnd.alice as never });
    const toBob = channels.find(
      (channel) => channel.partner_public_key === stackNode(stack, 'bob').pubkey,
    );
    expect(view.status).toBe('IN_FLIGHT');
    expect(view.attempts).toHaveLength(1);
    expect(view.attempts[0]).toMatchObject({ status: 'IN_FLIGHT', firstHopChannel: toBob?.id });
    expect(view.attempts[0]?.timeoutHeight).toBeGreaterThan(view.height);
    expect(view.htlcs).toEqual([
      expect.objectContaining({ channel: toBob?.id, isOutgoing: true, amountMsat: '1235000' }),
    ]);
    expect(view.openChannels).toContain(toBob?.id);

    // A tip on that hash, SENDING for an hour: the stuck check flags it, and decides nothing.
    const { record } = await clients.ledger.createTip(
      {
        tipId,
        fingerprint: 'stuck-test',
        platformId: 'integration-tests',
        recipient: stackNode(stack, 'carol').pubkey,
        amountMsat: 1_234_000n,
        records: [],
        paymentHash: hash,
        keyVersion: 1,
      },
      new Date(),
    );
    const hourAgo = new Date(Date.now() - 3_600_000);
    const tip = await clients.ledger.markSending(
      record.tipId,
      'RECEIVED',
      0,
      record.paymentHash,
      hourAgo,
      hourAgo,
    );
    const check = await checkStuckTip(tip, {
      ledger: clients.ledger,
      inspector,
      flags: createDynamoStuckFlags(clients.dynamodb, TEST_TABLES),
      now: () => new Date(),
    });
    expect(check).toMatchObject({ kind: 'flagged', verdict: { code: 'HTLC_PENDING' } });
    expect(await clients.ledger.getTip(tipId)).toMatchObject({
      state: 'SENDING',
      stuck: { verdict: 'HTLC_PENDING', attempt: 1 },
    });

    // The operator's listing, recorded and live.
    for (const args of [
      ['stuck', '--json'],
      ['stuck', '--json', '--live'],
    ]) {
      const { stdout } = await tipstream(args);
      const listed = JSON.parse(stdout).stuck.find(
        (entry: { tipId: string }) => entry.tipId === tipId,
      );
      expect(listed).toMatchObject({
        verdict: { code: 'HTLC_PENDING' },
        lnd: { status: 'IN_FLIGHT', htlcs: [{ channel: toBob?.id }] },
        live: args.includes('--live'),
      });
    }
    const { stdout: text } = await tipstream(['stuck']);
    expect(text).toContain(`tip ${tipId}`);
    expect(text).toContain(`channels carrying the hash: ${toBob?.id}`);
    expect(text).toContain('What it means');
  }, 90_000);
});
