import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  authenticatedLndGrpc,
  closeChannel,
  deletePayments,
  getChannels,
  getWalletInfo,
  grantAccess,
  openChannel,
  revokeAccess,
  sendToChainAddress,
} from 'lightning';
import { describe, expect, inject, it } from 'vitest';
import { connectLndNode } from '../../shared/adapters/lnd/lnd-node.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { enqueue, receivedBy, tipRequest, useLocalService, waitForTip } from './helpers.js';

const stack = inject('stack');

/**
 * The RPCs the payer and reconciler call (the reconciler lists channels to find HTLCs of a payment
 * LND keeps in flight), as `lightning` method names; `grantAccess` bakes a macaroon for
 * exactly their URIs (the deployment guide lists the same URIs for `lncli bakemacaroon`).
 */
export const PAYER_LND_METHODS = [
  'getWalletInfo',
  'getNode',
  'getHeight',
  'getPayment',
  'subscribeToPayViaDetails',
  'getChannels',
  // Shared-secret tips: ECDH with the node key (signrpc DeriveSharedKey, signer:generate).
  'diffieHellmanComputeSecret',
  // AMP and `auto` tips: a single-path route check (QueryRoutes) and the search of LND's
  // payments for a tip's payment address before any re-send (ListPayments).
  'getRouteToDestination',
  'getPayments',
  // Lightning Address tips paid by an LNURL-pay invoice: decoded by the node (DecodePayReq) and
  // paid by SendPaymentV2 like keysend.
  'decodePaymentRequest',
  'subscribeToPayViaRequest',
];

const ROOT_KEY_ID_BASE = 100_000;

/** The `uri:` permissions in the README's `lncli bakemacaroon` command. */
const readmeBakedUris = async () => {
  const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const command = readme.match(/lncli bakemacaroon --root_key_id[^`]*?(?=\n```)/)?.[0] ?? '';
  return [...command.matchAll(/uri:\/[\w.]+\/\w+/g)].map((match) => match[0]).sort();
};

describe.runIf(stack.lightning.network === 'regtest')(
  'payer with a least-privilege macaroon',
  () => {
    let macaroon: string;
    let permissions: string[];
    const f = useLocalService(stack, 'payer-macaroon', async (clients) => {
      // Under its own root key id, as the deployment guide bakes it, so it can be revoked alone.
      ({ macaroon, permissions } = await grantAccess({
        id: String(ROOT_KEY_ID_BASE + Math.floor(Math.random() * 1_000_000)),
        lnd: clients.lnd.alice as never,
        methods: PAYER_LND_METHODS,
      }));
      return {
        apiPort: false,
        reconcileEveryMs: 0,
        env: {
          TIPSTREAM_LND_MACAROON_PATH: '',
          TIPSTREAM_LND_MACAROON: macaroon,
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
      };
    });

    it('is baked for URIs only, none of them on-chain, channel or deletion RPCs', () => {
      expect(permissions.length).toBeGreaterThan(0);
      for (const permission of permissions) expect(permission).toMatch(/^uri:\//);
      const forbidden =
        /SendCoins|SendMany|OpenChannel|CloseChannel|DeletePayment|DeleteAllPayments|BakeMacaroon/;
      expect(permissions.filter((permission) => forbidden.test(permission))).toEqual([]);
    });

    it('is exactly the set of URIs the deployment guide tells operators to bake', async () => {
      expect(await readmeBakedUris()).toEqual([...permissions].sort());
    });

    it('pays a tip to carol with only that macaroon', async () => {
      const request = tipRequest(stack, 'carol', { amountMsat: 7_000 });
      await enqueue(f.queueUrl, f.clients, [request]);
      const tip = await waitForTip(f.clients, request.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      expect(await receivedBy(f.clients, 'carol', tip.paymentHash)).toHaveLength(1);
    });

    it('pays a Lightning Address tip by its LNURL invoice to erin with only that macaroon (DecodePayReq allowed)', async () => {
      const { recipientPubkey: _, ...request } = tipRequest(stack, 'erin', {
        amountMsat: 9_000,
        recipientAddress: stack.lightningAddress?.addresses.erin,
      });
      await enqueue(f.queueUrl, f.clients, [request]);
      const tip = await waitForTip(f.clients, request.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      expect(tip.sendMethod).toBe('lnurl-invoice');
      expect(await receivedBy(f.clients, 'erin', tip.paymentHash)).toHaveLength(1);
    });

    it('pays a shared-secret tip to carol with only that macaroon (DeriveSharedKey allowed)', async () => {
      const request = tipRequest(stack, 'carol', {
        amountMsat: 8_000,
        authentication: 'shared-secret',
      });
      await enqueue(f.queueUrl, f.clients, [request]);
      const tip = await waitForTip(f.clients, request.tipId, ['SUCCEEDED', 'FAILED']);
      expect(tip.state, tip.failureReason).toBe('SUCCEEDED');
      expect(tip.preimageDerivation).toBe('ecdh-v1');
      expect(await receivedBy(f.clients, 'carol', tip.paymentHash)).toHaveLength(1);
    });

    it('without DeriveSharedKey, the payer cannot derive a shared secret and says which permission is missing', async () => {
      const alice = stackNode(stack, 'alice');
      const { macaroon: withoutEcdh } = await grantAccess({
        id: String(ROOT_KEY_ID_BASE + 2_000_000 + Math.floor(Math.random() * 1_000_000)),
        lnd: f.clients.lnd.alice as never,
        methods: PAYER_LND_METHODS.filter((method) => method !== 'diffieHellmanComputeSecret'),
      });
      const node = connectLndNode(
        {
          cert: (await readFile(alice.certPath)).toString('base64'),
          macaroon: withoutEcdh,
          socket: alice.socket,
        },
        { rpcTimeoutMs: 10_000 },
      );
      await expect(
        node.keyAgreement.sharedSecret(stackNode(stack, 'carol').pubkey),
      ).rejects.toThrow(/macaroon needs uri:\/signrpc.Signer\/DeriveSharedKey/);
    });

    it('is refused what the f.service must never do: send coins, delete payments, open or close channels', async () => {
      const alice = stackNode(stack, 'alice');
      const { lnd } = authenticatedLndGrpc({
        cert: (await readFile(alice.certPath)).toString('base64'),
        macaroon,
        socket: alice.socket,
      });
      const denied = async (what: string, call: () => Promise<unknown>) => {
        const error = await call().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error, `${what} must be refused`).toBeDefined();
        expect(JSON.stringify(error), what).toMatch(
          /permission denied|verification failed|not permitted/i,
        );
      };
      const [channel] = (await getChannels({ lnd: f.clients.lnd.alice as never })).channels;
      await denied('sending on-chain coins', () =>
        sendToChainAddress({
          lnd,
          address: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
          tokens: 10_000,
        }),
      );
      await denied('deleting payments', () => deletePayments({ lnd }));
      await denied('opening a channel', () =>
        openChannel({
          lnd,
          local_tokens: 100_000,
          partner_public_key: stackNode(stack, 'carol').pubkey,
        }),
      );
      await denied('closing a channel', () =>
        closeChannel({
          lnd,
          transaction_id: channel?.transaction_id ?? '',
          transaction_vout: channel?.transaction_vout ?? 0,
        }),
      );
    });

    it('rotates as the guide says: a new macaroon under a new root key id pays, the revoked one is refused', async () => {
      const alice = stackNode(stack, 'alice');
      const cert = (await readFile(alice.certPath)).toString('base64');
      const connect = (token: string) =>
        authenticatedLndGrpc({ cert, macaroon: token, socket: alice.socket }).lnd;
      const id = String(ROOT_KEY_ID_BASE + 1_000_000 + Math.floor(Math.random() * 1_000_000));
      const old = await grantAccess({
        id,
        lnd: f.clients.lnd.alice as never,
        methods: PAYER_LND_METHODS,
      });
      const next = await grantAccess({
        id: String(Number(id) + 1),
        lnd: f.clients.lnd.alice as never,
        methods: PAYER_LND_METHODS,
      });
      await getWalletInfo({ lnd: connect(old.macaroon) });

      await revokeAccess({ id, lnd: f.clients.lnd.alice as never });

      const refused = await getWalletInfo({ lnd: connect(old.macaroon) }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(JSON.stringify(refused)).toMatch(
        /cannot get macaroon|root key|verification failed|permission denied/i,
      );
      expect((await getWalletInfo({ lnd: connect(next.macaroon) })).public_key).toBe(alice.pubkey);
    });
  },
);
