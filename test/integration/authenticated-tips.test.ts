import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type AuthenticatedLnd, diffieHellmanComputeSecret, payViaPaymentDetails } from 'lightning';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { connectLndNode } from '../../shared/adapters/lnd/lnd-node.js';
import { tipIdFor } from '../../shared/app/accept-tip.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { KEYSEND_RECORD_TYPE } from '../../shared/domain/keysend-records.js';
import { signBoost } from '../../shared/domain/nostr-boost.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import { runInProcess } from '../cli/run-in-process.js';
import {
  apiClient,
  enqueue,
  newTestPlatform,
  receiptPublicKey,
  receivedBy,
  tipRequest,
  useLocalService,
  waitForTip,
} from './helpers.js';

const stack = inject('stack');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe.runIf(stack.lightning.network === 'regtest')(
  'authenticated tips on the real stack',
  () => {
    const f = useLocalService(stack, 'authenticated-tips', () => ({
      reconcileEveryMs: 0,
      apiPort: 0,
      env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
    }));
    const lnd = (name: string) => f.clients.lnd[name] as AuthenticatedLnd;
    const pubkey = (name: string) => stackNode(stack, name).pubkey;
    /** `tipstream verify-incoming` as a creator runs it against carol's own node. */
    const verifyIncoming = async (...args: string[]) =>
      runInProcess(['verify-incoming', '--node', 'carol', '--since', '30m', ...args], {
        runDir: stack.runDir,
        apiUrl: 'http://127.0.0.1:9',
      });
    let platform: { platformId: string; secret: string };
    const call = (...args: Parameters<ReturnType<typeof apiClient>>) =>
      apiClient(f.service.api?.url ?? '', platform)(...args);

    beforeAll(async () => {
      platform = await newTestPlatform(f.clients, 'auth', 1_000_000);
    });

    it("computes one ECDH secret on both sides: alice's node with carol's key, carol's with alice's", async () => {
      const [fromAlice, fromCarol] = await Promise.all([
        diffieHellmanComputeSecret({ lnd: lnd('alice'), partner_public_key: pubkey('carol') }),
        diffieHellmanComputeSecret({ lnd: lnd('carol'), partner_public_key: pubkey('alice') }),
      ]);
      expect(fromAlice.secret).toMatch(/^[0-9a-f]{64}$/);
      expect(fromAlice.secret).toBe(fromCarol.secret);
    });

    let realTip: { tipId: string; paymentHash: string };

    it('pays a shared-secret tip once; verify-incoming on carol says verified, from alice', async () => {
      const request = tipRequest(stack, 'carol', {
        amountMsat: 2_121_000,
        message: 'authenticated gm',
        authentication: 'shared-secret',
      });
      await enqueue(f.queueUrl, f.clients, [request]);
      const tip = await waitForTip(f.clients, request.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      expect(tip.preimageDerivation).toBe('ecdh-v1');
      const invoices = await receivedBy(f.clients, 'carol', tip.paymentHash);
      expect(invoices).toHaveLength(1);
      expect(invoices[0]?.payments.filter((payment) => payment.is_confirmed)).toHaveLength(1);
      const signed = JSON.parse(tip.receipt ?? '{}');
      expect(verifyReceipt(signed, receiptPublicKey(f.service))).toEqual({ ok: true });
      expect(signed.receipt.authentication).toEqual({ tip: 'ecdh-shared-secret', sender: 'none' });
      realTip = { tipId: request.tipId, paymentHash: tip.paymentHash };

      const { code, stdout } = await verifyIncoming('--json');
      const report = JSON.parse(stdout);
      const mine = report.payments.find(
        (payment: { paymentHash: string }) => payment.paymentHash === tip.paymentHash,
      );
      expect(mine).toMatchObject({
        amountMsat: '2121000',
        message: 'authenticated gm',
        verdict: {
          kind: 'verified',
          operator: pubkey('alice'),
          platformId: 'integration-tests',
          tipId: request.tipId,
        },
      });
      // Other files' tips may be spoofs (exit 1); this one is verified either way.
      expect([0, 1]).toContain(code);
      const human = await verifyIncoming();
      process.stdout.write(`\n--- verify-incoming (real tip) ---\n${human.stdout}\n`);
      expect(human.stdout).toContain(`verified: sent by operator ${pubkey('alice')}`);
    });

    it('a copy of the records keysent by bob (not the operator) is not authentic; a replay of the real preimage is not recorded again', async () => {
      const original = (await receivedBy(f.clients, 'carol', realTip.paymentHash))[0];
      const records = (original?.payments[0]?.messages ?? []).filter(
        (message) => message.type !== KEYSEND_RECORD_TYPE.toString(),
      );
      expect(records.some((record) => record.type === '1414090835')).toBe(true);
      const keysend = (preimage: Uint8Array) =>
        payViaPaymentDetails({
          lnd: lnd('bob'),
          destination: pubkey('carol'),
          id: createHash('sha256').update(preimage).digest('hex'),
          tokens: 2_121,
          max_fee: 10,
          messages: [{ type: KEYSEND_RECORD_TYPE.toString(), value: hex(preimage) }, ...records],
        });
      // Bob routed the real tip, so he knows its preimage. LND settles a keysend to a hash it has
      // already settled (the preimage is no secret any more) without recording it again: the
      // forged message never shows on carol's node, and the tip stays one payment there.
      const forged = records.map((record) =>
        record.type === '34349334'
          ? { ...record, value: hex(Buffer.from('forged by bob')) }
          : record,
      );
      await payViaPaymentDetails({
        lnd: lnd('bob'),
        destination: pubkey('carol'),
        id: realTip.paymentHash,
        tokens: 1_000,
        max_fee: 10,
        messages: [
          { type: KEYSEND_RECORD_TYPE.toString(), value: original?.secret ?? '' },
          ...forged,
        ],
      }).catch(() => undefined);
      const [after] = await receivedBy(f.clients, 'carol', realTip.paymentHash);
      expect(after?.payments.filter((payment) => payment.is_confirmed)).toHaveLength(1);

      const spoofPreimage = randomBytes(32);
      await keysend(spoofPreimage);
      const spoofHash = createHash('sha256').update(spoofPreimage).digest('hex');
      const { code, stdout } = await verifyIncoming('--json');
      expect(code).toBe(1);
      const report = JSON.parse(stdout);
      const spoof = report.payments.find(
        (payment: { paymentHash: string }) => payment.paymentHash === spoofHash,
      );
      expect(spoof).toMatchObject({
        message: 'authenticated gm',
        verdict: {
          kind: 'not-authentic',
          claimed: { operator: pubkey('alice'), tipId: realTip.tipId },
          reason: expect.stringMatching(/another node sent it/),
        },
      });
      const human = await verifyIncoming();
      process.stdout.write(`\n--- verify-incoming (with the spoof) ---\n${human.stdout}\n`);
      expect(human.stdout).toContain(`NOT AUTHENTIC: claims operator ${pubkey('alice')}`);
    });

    it('pays a boost with a valid Nostr signature; refuses a bad one with 422 naming the field and queues nothing', async () => {
      const nostrKey = randomBytes(32);
      const boostagram = signBoost(
        { action: 'boost', app_name: 'Fountain', message: 'signed boost', value_msat_total: 3_000 },
        nostrKey,
      );
      const good = await call('POST', '/v1/tips', {
        recipientPubkey: pubkey('carol'),
        amountMsat: 3_000,
        boostagram,
      });
      expect(good.status, JSON.stringify(good.body)).toBe(202);
      const tip = await waitForTip(f.clients, good.body.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      // A platform created now authenticates its tips by default.
      expect(tip.preimageDerivation).toBe('ecdh-v1');
      expect(JSON.parse(tip.receipt ?? '{}').receipt.authentication).toEqual({
        tip: 'ecdh-shared-secret',
        sender: 'nostr-signature',
        nostrPubkey: boostagram.sender_id,
      });

      const idempotencyKey = `bad-${randomUUID()}`;
      const bad = await call(
        'POST',
        '/v1/tips',
        {
          recipientPubkey: pubkey('carol'),
          amountMsat: 3_000,
          boostagram: { ...boostagram, message: 'forged' },
        },
        { idempotencyKey },
      );
      expect(bad.status).toBe(422);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'boostagram.signature' })]);
      expect(bad.body.detail).toMatch(/does not verify with sender_id/);
      const statusOfBad = await call(
        'GET',
        `/v1/tips/${encodeURIComponent(tipIdFor(platform.platformId, idempotencyKey))}`,
      );
      expect(statusOfBad.status).toBe(404);
      const { Messages = [] } = await f.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: f.queueUrl,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 0,
        }),
      );
      expect(Messages.filter((message) => message.Body?.includes('forged'))).toEqual([]);
    });

    it('costs one DeriveSharedKey per recipient and container with the cache, one per call without (measured)', async () => {
      const alice = stackNode(stack, 'alice');
      const credentials = {
        cert: (await readFile(alice.certPath)).toString('base64'),
        macaroon: (await readFile(alice.macaroonPath)).toString('base64'),
        socket: alice.socket,
      };
      const measure = async (cacheSize: number, calls: number) => {
        const node = connectLndNode(credentials, {
          rpcTimeoutMs: 10_000,
          sharedSecretCacheSize: cacheSize,
        });
        const times: number[] = [];
        for (let i = 0; i < calls; i += 1) {
          const started = performance.now();
          await node.keyAgreement.sharedSecret(pubkey('carol'));
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        return { p50: times[Math.floor(calls / 2)] ?? 0, max: times[calls - 1] ?? 0 };
      };
      const uncached = await measure(0, 20);
      const cached = await measure(10_000, 20);
      process.stdout.write(
        `\n--- DeriveSharedKey: uncached p50 ${uncached.p50.toFixed(1)} ms (max ${uncached.max.toFixed(1)}), cached p50 ${cached.p50.toFixed(3)} ms (first call ${cached.max.toFixed(1)}) ---\n`,
      );
      expect(cached.p50).toBeLessThan(uncached.p50);
    });
  },
);
