/**
 * Review 2 (hostile review of the AMP adapter): failing tests that show where the LND adapter's
 * AMP send and search break "money moves exactly once". The `lightning` module is replaced by a
 * fake LND that speaks the raw routerrpc/lnrpc shapes the adapter reads (`RawPayment`).
 */

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TransientPaymentError } from '../../../../shared/ports/errors.js';

const fake = vi.hoisted(() => {
  type Raw = {
    payment_hash: string;
    value_msat: string;
    fee_msat: string;
    status: string;
    failure_reason: string;
    creation_date: number;
    htlcs: Array<Record<string, unknown>>;
  };
  const state = {
    /** gRPC channel to LND ready? While not, calls queue in grpc-js until it connects. */
    ready: true,
    payments: [] as Raw[],
    queued: [] as Array<{ request: Record<string, unknown>; stream: { canceled: boolean } }>,
    seq: 0,
  };
  const deliver = (request: Record<string, unknown>) => {
    state.seq += 1;
    const addr = request.payment_addr as Buffer;
    state.payments.push({
      payment_hash: state.seq.toString(16).padStart(64, '0'),
      value_msat: String(request.amt_msat),
      fee_msat: '0',
      status: 'IN_FLIGHT',
      failure_reason: 'FAILURE_REASON_NONE',
      creation_date: Math.floor(Date.now() / 1000),
      htlcs: [
        {
          status: 'IN_FLIGHT',
          resolve_time_ns: '0',
          preimage: Buffer.alloc(0),
          route: { hops: [{ pub_key: 'dest', mpp_record: { payment_addr: addr } }] },
        },
      ],
    });
  };
  const lnd = {
    router: {
      sendPaymentV2: (request: Record<string, unknown>) => {
        const stream = Object.assign(new (require('node:events').EventEmitter)(), {
          canceled: false,
          cancel() {
            this.canceled = true;
          },
        });
        if (state.ready) deliver(request);
        else state.queued.push({ request, stream });
        return stream;
      },
    },
    default: {
      listPayments: (
        request: { index_offset: string; max_payments: number; creation_date_start: number },
        callback: (error: unknown, response: unknown) => void,
      ) => {
        const start = Number(request.index_offset);
        const matching = state.payments
          .map((payment, index) => ({ payment, index: index + 1 }))
          .filter(
            ({ index, payment }) =>
              index > start && payment.creation_date >= request.creation_date_start,
          )
          .slice(0, request.max_payments);
        callback(null, {
          payments: matching.map(({ payment }) => payment),
          last_index_offset: String(matching.at(-1)?.index ?? start),
        });
      },
    },
  };
  /** The channel connects again: grpc-js starts every queued call that was not canceled. */
  const connect = () => {
    state.ready = true;
    for (const { request, stream } of state.queued.splice(0))
      if (!stream.canceled) deliver(request);
  };
  return { state, lnd, connect };
});

// The adapter reaches `lightning` through two modules of its own: the gRPC client (grpc.ts) and
// the methods it calls, each from its own file (lightning-methods.ts).
vi.mock('../../../../shared/adapters/lnd/grpc.js', () => ({ lndGrpc: () => fake.lnd }));
vi.mock('../../../../shared/adapters/lnd/lightning-methods.js', () => ({
  getWalletInfo: async () => ({
    active_channels_count: 1,
    current_block_height: 500,
    public_key: `02${'11'.repeat(32)}`,
  }),
  getNode: async () => ({ features: [] }),
  getPayment: async () => {
    throw [404, 'SentPaymentNotFound'];
  },
  getRouteToDestination: async () => ({}),
  diffieHellmanComputeSecret: async () => ({ secret: '00'.repeat(32) }),
  subscribeToPayViaDetails: () => new EventEmitter(),
}));

const { connectLndNode } = await import('../../../../shared/adapters/lnd/lnd-node.js');
const { AmbiguousPaymentError } = await import('../../../../shared/ports/errors.js');

const destination = `03${'ab'.repeat(32)}`;
const paymentAddr = new Uint8Array(createHash('sha256').update('tip-1 address').digest());
const addrHex = Buffer.from(paymentAddr).toString('hex');
const carrying = () =>
  fake.state.payments.filter((payment) =>
    payment.htlcs.some(
      (htlc) =>
        (htlc.route as { hops: Array<{ mpp_record?: { payment_addr: Buffer } }> }).hops
          .at(-1)
          ?.mpp_record?.payment_addr?.toString('hex') === addrHex,
    ),
  );

const ampPayment = (waitMs: number) => ({
  destination,
  amountMsat: 900_000_000n,
  paymentAddr,
  records: [],
  maxFeeMsat: 1_000_000n,
  maxTimeoutBlocks: 200,
  pathfindingTimeoutMs: 1_000,
  waitMs,
});

describe('review2: the AMP adapter', () => {
  beforeEach(() => {
    fake.state.ready = true;
    fake.state.payments.length = 0;
    fake.state.queued.length = 0;
  });

  it('a send payAmp gave up on (its wait ran out before the channel was ready) never reaches LND after the search that allowed a re-send', async () => {
    const node = connectLndNode(
      { socket: 'lnd:10009', cert: '', macaroon: '' },
      { rpcTimeoutMs: 1_000 },
    );
    const since = new Date(Date.now() - 1_000);

    // Attempt 1 (owner A): readiness is served (getWalletInfo/getNode answer, or are cached), but
    // the gRPC channel is reconnecting, so grpc-js queues SendPaymentV2. A's wait runs out.
    fake.state.ready = false;
    await expect(node.payAmp(ampPayment(20))).rejects.toBeInstanceOf(AmbiguousPaymentError);
    // A's handler returns (Lambda freezes the container with the call still queued: "background
    // processes ... resume if Lambda reuses the execution environment").

    // Past A's lease + grace, B (a redelivery in another container) searches before re-sending:
    // nothing carries the address, so pay-tip.ts starts attempt 2 and B sends.
    expect(await node.lookupAmpPayment({ paymentAddr, amountMsat: 900_000_000n, since })).toEqual({
      status: 'not_found',
    });
    fake.connect(); // A's container is thawed / its channel connects: the queued call goes out
    await node.payAmp(ampPayment(20)).catch(() => {}); // B's attempt 2

    // Two AMP payments with one address: LND's receiver takes both sets (AMP invoices are
    // reusable), so the tip is paid twice. payAmp must cancel its call when it gives up.
    expect(carrying()).toHaveLength(1);
  });

  it('a settled AMP payment of the tip is found however many payments the node made since the tip was created', async () => {
    const node = connectLndNode(
      { socket: 'lnd:10009', cert: '', macaroon: '' },
      { rpcTimeoutMs: 1_000 },
    );
    const since = new Date(Date.now() - 1_000);
    // The tip's own AMP payment, settled (a reconciler comes to the tip later, e.g. after the
    // payer was killed with it in flight, or the tip was left in flight at a deadline).
    await node.payAmp(ampPayment(5)).catch(() => {});
    const ours = fake.state.payments[0];
    if (!ours) throw new Error('no payment');
    ours.status = 'SUCCEEDED';
    ours.htlcs[0] = {
      ...ours.htlcs[0],
      status: 'SUCCEEDED',
      resolve_time_ns: String(BigInt(Date.now()) * 1_000_000n),
      preimage: createHash('sha256').update('shard').digest(),
    };
    // ~11 minutes of the node's ~30 payments/s (keysend tips of others) since then.
    for (let i = 0; i < 20_000; i += 1) {
      fake.state.payments.push({
        payment_hash: `k${i}`,
        value_msat: '1000',
        fee_msat: '0',
        status: 'SUCCEEDED',
        failure_reason: 'FAILURE_REASON_NONE',
        creation_date: Math.floor(Date.now() / 1000),
        htlcs: [],
      });
    }
    // The search gives up (TransientPaymentError) on every run, forever: the tip stays SENDING,
    // its receipt, the recipient's totals and its budget release never come.
    const found = await node
      .lookupAmpPayment({ paymentAddr, amountMsat: 900_000_000n, since })
      .catch((error: Error) => error.message);
    expect(found).toMatchObject({ status: 'succeeded' });
  });

  it('an AMP payment LND reports SUCCEEDED is never taken for "not found" (which lets a re-send through)', async () => {
    const node = connectLndNode(
      { socket: 'lnd:10009', cert: '', macaroon: '' },
      { rpcTimeoutMs: 1_000 },
    );
    const since = new Date(Date.now() - 1_000);
    await node.payAmp(ampPayment(5)).catch(() => {});
    const ours = fake.state.payments[0];
    if (!ours) throw new Error('no payment');
    // Settled, but the adapter cannot read a 32-byte shard preimage from it (settledAmp → undefined).
    ours.status = 'SUCCEEDED';
    ours.htlcs[0] = { ...ours.htlcs[0], status: 'SUCCEEDED', preimage: Buffer.alloc(0) };
    // Safe answers: in flight, or "cannot decide now" (a transient error); never not found/failed.
    const outcome = await node
      .lookupAmpPayment({ paymentAddr, amountMsat: 900_000_000n, since })
      .then(
        (lookup) => lookup.status,
        (error) => (error instanceof TransientPaymentError ? 'undecided' : String(error)),
      );
    expect(['in_flight', 'undecided']).toContain(outcome);
  });
});
