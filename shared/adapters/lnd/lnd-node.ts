import { createHash } from 'node:crypto';
import type {
  AuthenticatedLnd,
  DecodePaymentRequestResult,
  GetPaymentResult,
  GetWalletInfoResult,
} from 'lightning';
import { KEYSEND_RECORD_TYPE } from '../../domain/keysend-records.js';
import type { DecodedInvoice } from '../../domain/lightning-address.js';
import { AMP_FEATURE_BITS } from '../../domain/payment-method.js';
import type { LndAttemptView, LndPaymentView } from '../../domain/stuck-payment.js';
import {
  AmbiguousPaymentError,
  type PermanentFailureCode,
  PermanentPaymentError,
  TransientPaymentError,
} from '../../ports/errors.js';
import type {
  AmpLookup,
  AmpPayment,
  InvoicePayment,
  KeysendPayment,
  LightningNode,
  PaymentInspector,
  PaymentLookup,
  SettledPayment,
} from '../../ports/lightning-node.js';
import type { NodeKeyAgreement } from '../../ports/node-keys.js';
import { withTimeout } from '../with-timeout.js';
import { lndGrpc } from './grpc.js';
import {
  decodePaymentRequest,
  diffieHellmanComputeSecret,
  getChannels,
  getNode,
  getPayment,
  getRouteToDestination,
  getWalletInfo,
  subscribeToPayViaDetails,
  subscribeToPayViaRequest,
} from './lightning-methods.js';

/** How long a recipient's "is it in the graph" answer is reused. */
const ANNOUNCED_CACHE_MS = 5 * 60_000;
/**
 * How long the node's "has an active channel" and block height are reused across payments: one
 * getWalletInfo a second instead of one per payment. A height up to a second old only makes
 * `max_timeout_height` a block lower at most (stricter), and a node found without active channels
 * is asked again by the next payment.
 */
const WALLET_INFO_CACHE_MS = 1_000;
/** var_onion_optin: an unannounced recipient has no graph features, so TLV onions must be asked for. */
const TLV_ONION_FEATURE = { bit: 9 };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (value: string) => new Uint8Array(Buffer.from(value, 'hex'));

/** `lightning` rejects with `[code, 'PascalCaseCode', details]`; `details.err.details` has LND's words. */
type LightningError = [number, string, { err?: { details?: string; code?: number } }?];

const isLightningError = (error: unknown): error is LightningError =>
  Array.isArray(error) && typeof error[0] === 'number' && typeof error[1] === 'string';

const detailsOf = (error: unknown): string => {
  if (isLightningError(error)) {
    const inner = error[2]?.err?.details;
    return inner ? `${error[1]}: ${inner}` : error[1];
  }
  return error instanceof Error ? error.message : String(error);
};

export interface FailedEvent {
  is_insufficient_balance?: boolean;
  is_invalid_payment?: boolean;
  is_pathfinding_timeout?: boolean;
  is_route_not_found?: boolean;
  is_canceled?: boolean;
}

/** LND's terminal failure reasons, in words that tell the operator what to do. */
export const permanentFailure = (
  failed: FailedEvent,
  destination: string,
  kind: 'keysend' | 'invoice' = 'keysend',
): PermanentPaymentError => {
  const short = `${destination.slice(0, 10)}…`;
  const [code, message]: [PermanentFailureCode, string] = failed.is_invalid_payment
    ? [
        'REJECTED_BY_DESTINATION',
        kind === 'invoice'
          ? `recipient ${short} rejected the payment: it does not know the invoice any more (expired or canceled) or refused its details`
          : `recipient ${short} rejected the payment: it does not accept keysend (feature bit 55 not advertised) or refused its records`,
      ]
    : failed.is_insufficient_balance
      ? [
          'INSUFFICIENT_BALANCE',
          'the operator node has too little outbound liquidity for this amount plus fees',
        ]
      : failed.is_pathfinding_timeout
        ? ['PATHFINDING_TIMEOUT', `no route to ${short} was found before the pathfinding timeout`]
        : failed.is_route_not_found
          ? [
              'NO_ROUTE',
              `no route to ${short} can carry this amount within the fee and timeout limits`,
            ]
          : [
              'LND_ERROR',
              `LND failed the payment to ${short} for an internal reason (${JSON.stringify(failed)})`,
            ];
  return new PermanentPaymentError(code, message, { cause: failed });
};

/** LND's duplicate guard and lost streams: the payment may exist, only a lookup can tell. */
const AMBIGUOUS_DETAILS = /in transition|already paid|already succeeded|already exists/i;

/** Classifies an 'error' event of a payment stream (LND may or may not hold the payment). */
export const classifyStreamError = (
  error: unknown,
): PermanentPaymentError | AmbiguousPaymentError => {
  const details = detailsOf(error);
  if (isLightningError(error) && error[0] === 400) {
    // Refused by the library's own argument checks: nothing was sent.
    return new PermanentPaymentError('INVALID_PAYMENT', `payment refused: ${details}`, {
      cause: error,
    });
  }
  if (AMBIGUOUS_DETAILS.test(details)) {
    return new AmbiguousPaymentError(`LND's duplicate guard answered: ${details}`, {
      cause: error,
    });
  }
  // A dropped stream or an unexpected error: LND may hold the payment.
  return new AmbiguousPaymentError(`payment stream failed: ${details}`, { cause: error });
};

export interface LndNodeOptions {
  /** Bound for getPayment/getNode/getHeight, which can hang on a stuck connection. */
  rpcTimeoutMs: number;
  /**
   * ECDH secrets kept in memory per peer (least recently used dropped first; never stored): a
   * shared-secret tip then costs no signer RPC for a recipient seen before. 0 turns it off.
   */
  sharedSecretCacheSize?: number;
  /** Told the name of every gRPC method called on the node (`router.sendPaymentV2`): accounting. */
  onCall?: (method: string) => void;
}

/** Default `sharedSecretCacheSize`: 32 bytes each, so 10,000 recipients are well under 1 MB. */
const SHARED_SECRET_CACHE_SIZE = 10_000;

/** LND's answer to DeriveSharedKey without the permission, or without the signer sub-server. */
const describeKeyAgreementFailure = (error: unknown): string => {
  const details = detailsOf(error);
  if (/permission denied|verification failed|not permitted/i.test(details)) {
    return `LND refused DeriveSharedKey (${details}): the macaroon needs uri:/signrpc.Signer/DeriveSharedKey (signer:generate)`;
  }
  if (isLightningError(error) && error[1] === 'ExpectedLndWithSupportForDeriveSharedKey') {
    return 'LND has no signer RPC: it must be built with the signrpc tag (release builds are)';
  }
  return `LND could not compute the ECDH secret: ${details}`;
};

/**
 * ECDH with the node's identity key (signrpc DeriveSharedKey through `lightning`'s
 * `diffieHellmanComputeSecret`, key family 6 index 0): sha256 of the compressed shared point.
 */
export const createKeyAgreement = (
  lnd: AuthenticatedLnd,
  rpc: <T>(what: string, call: Promise<T>) => Promise<T>,
  cacheSize: number,
): NodeKeyAgreement => {
  const secrets = new Map<string, Uint8Array>();
  let ownPubkey: Promise<string> | undefined;
  const getPubkey = () => {
    const pending = rpc('getWalletInfo', getWalletInfo({ lnd })).then((info) => info.public_key);
    if (cacheSize === 0) return pending;
    // The identity key of a connection never changes: ask once (again only after a failure).
    ownPubkey ??= pending.catch((error: unknown) => {
      ownPubkey = undefined;
      throw error;
    });
    return ownPubkey;
  };
  const sharedSecret = async (peerPubkey: string): Promise<Uint8Array> => {
    const cached = secrets.get(peerPubkey);
    if (cached) {
      secrets.delete(peerPubkey);
      secrets.set(peerPubkey, cached);
      return cached;
    }
    let secret: Uint8Array;
    try {
      const { secret: hexSecret } = await rpc(
        'diffieHellmanComputeSecret',
        diffieHellmanComputeSecret({ lnd, partner_public_key: peerPubkey }),
      );
      secret = fromHex(hexSecret);
    } catch (error) {
      if (error instanceof TransientPaymentError) throw error;
      throw new TransientPaymentError(describeKeyAgreementFailure(error), { cause: error });
    }
    if (secret.length !== 32) {
      throw new TransientPaymentError(
        `LND returned a ${secret.length}-byte ECDH secret; expected 32 (sha256 of the shared point)`,
      );
    }
    if (cacheSize > 0) {
      secrets.set(peerPubkey, secret);
      if (secrets.size > cacheSize) secrets.delete(secrets.keys().next().value as string);
    }
    return secret;
  };
  return { getPubkey, sharedSecret };
};

/** An LND call bounded in time: past `rpcTimeoutMs` it is a transient failure naming the call. */
export const timedRpc =
  (rpcTimeoutMs: number) =>
  <T>(what: string, call: Promise<T>): Promise<T> =>
    withTimeout(
      call,
      rpcTimeoutMs,
      () => new TransientPaymentError(`LND did not answer ${what} within ${rpcTimeoutMs} ms`),
    );

/** Follows a payment stream to its outcome, or to the wait's end (then ambiguous). */
const followPayment = (
  sub: ReturnType<typeof subscribeToPayViaDetails>,
  deadline: number,
  payment: { waitMs: number; destination: string },
  hooks: { onInFlight?: () => void },
  kind: 'keysend' | 'invoice',
): Promise<SettledPayment> =>
  new Promise<SettledPayment>((resolve, reject) => {
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sub.removeAllListeners();
      action();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new AmbiguousPaymentError(
              `no outcome from LND within ${payment.waitMs} ms: the payment may still be in flight`,
            ),
          ),
        ),
      Math.max(0, deadline - Date.now()),
    );
    sub.once('paying', () => hooks.onInFlight?.());
    sub.once(
      'confirmed',
      (confirmed: {
        fee_mtokens: string;
        hops: Array<{ public_key: string }>;
        secret: string;
        confirmed_at?: string;
      }) =>
        finish(() =>
          resolve({
            status: 'succeeded',
            preimage: fromHex(confirmed.secret),
            feeMsat: BigInt(confirmed.fee_mtokens),
            hops: confirmed.hops.map((hop) => hop.public_key),
            settledAt: confirmed.confirmed_at ?? new Date().toISOString(),
          }),
        ),
    );
    sub.once('failed', (failed: FailedEvent) =>
      finish(() =>
        reject(
          failed.is_canceled
            ? new TransientPaymentError('LND canceled the payment; it will be sent again', {
                cause: failed,
              })
            : permanentFailure(failed, payment.destination, kind),
        ),
      ),
    );
    sub.on('error', (error: unknown) => finish(() => reject(classifyStreamError(error))));
  });

/** The only place that speaks `lightning`: keysend, lookups, and error classification. */
const createLndNode = (
  lnd: AuthenticatedLnd,
  options: LndNodeOptions,
): LightningNode & { keyAgreement: NodeKeyAgreement } => {
  const rpc = timedRpc(options.rpcTimeoutMs);

  // Whether a recipient is in the graph changes rarely: ask LND once per recipient and container
  // every few minutes, not before every payment (tips to one creator come in bursts).
  const announcedCache = new Map<string, { announced: boolean; until: number }>();
  const isAnnounced = async (pubkey: string): Promise<boolean> => {
    const cached = announcedCache.get(pubkey);
    if (cached && cached.until > Date.now()) return cached.announced;
    let announced = true;
    try {
      await rpc('getNode', getNode({ lnd, public_key: pubkey, is_omitting_channels: true }));
    } catch (error) {
      if (!(isLightningError(error) && error[0] === 404)) throw error;
      announced = false;
    }
    announcedCache.set(pubkey, { announced, until: Date.now() + ANNOUNCED_CACHE_MS });
    return announced;
  };

  // One question in flight at a time: payments starting together share its answer.
  let walletInfo: { until: number; answer: Promise<GetWalletInfoResult> } | undefined;
  const walletInfoNow = (): Promise<GetWalletInfoResult> => {
    if (walletInfo && walletInfo.until > Date.now()) return walletInfo.answer;
    const answer = rpc('getWalletInfo', getWalletInfo({ lnd }));
    const entry = { until: Date.now() + WALLET_INFO_CACHE_MS, answer };
    walletInfo = entry;
    const forget = () => {
      if (walletInfo === entry) walletInfo = undefined;
    };
    answer.then((info) => {
      if (info.active_channels_count === 0) forget();
    }, forget);
    return answer;
  };

  /**
   * Whether the node can pay now, its height, and whether the recipient is in the graph. Anything
   * failing before the payment is handed to LND is safe to retry as it is.
   */
  const readiness = async (destination: string) => {
    try {
      const [info, announced] = await Promise.all([walletInfoNow(), isAnnounced(destination)]);
      // A node that just restarted has no active channels yet: paying now would fail the tip for
      // good ("no route") although a retry in a few seconds succeeds.
      if (info.active_channels_count === 0) {
        throw new Error('it has no active channel (starting up, or its peers are offline)');
      }
      return { height: info.current_block_height, announced };
    } catch (error) {
      throw new TransientPaymentError(`operator LND cannot pay now: ${detailsOf(error)}`, {
        cause: error,
      });
    }
  };

  const lookupPayment = async (paymentHash: Uint8Array): Promise<PaymentLookup> => {
    let result: GetPaymentResult;
    try {
      result = await rpc('getPayment', getPayment({ lnd, id: hex(paymentHash) }));
    } catch (error) {
      if (isLightningError(error) && error[1] === 'SentPaymentNotFound')
        return { status: 'not_found' };
      if (error instanceof TransientPaymentError) throw error;
      throw new TransientPaymentError(
        `could not look up payment ${hex(paymentHash)}: ${detailsOf(error)}`,
        {
          cause: error,
        },
      );
    }
    if (result.is_confirmed && result.payment) {
      return {
        status: 'succeeded',
        preimage: fromHex(result.payment.secret),
        feeMsat: BigInt(result.payment.fee_mtokens),
        hops: result.payment.hops.map((hop) => hop.public_key),
        settledAt: result.payment.confirmed_at,
      };
    }
    if (
      result.is_failed &&
      result.failed &&
      'is_canceled' in result.failed &&
      result.failed.is_canceled
    ) {
      // Canceled by LND when our stream went away: nothing was paid and the hash may be sent again.
      return { status: 'not_found' };
    }
    if (result.is_failed) {
      const failure = permanentFailure(
        result.failed ?? {},
        result.payment?.destination ?? 'recipient',
      );
      return { status: 'failed', code: failure.code, message: failure.message };
    }
    return { status: 'in_flight' };
  };

  const payKeysend = async (
    payment: KeysendPayment,
    hooks: { onInFlight?: () => void } = {},
  ): Promise<SettledPayment> => {
    // The wait budget counts from here: the readiness checks below spend it too.
    const deadline = Date.now() + payment.waitMs;
    const { height, announced } = await readiness(payment.destination);

    let sub: ReturnType<typeof subscribeToPayViaDetails>;
    try {
      sub = subscribeToPayViaDetails({
        lnd,
        destination: payment.destination,
        id: hex(payment.paymentHash),
        mtokens: payment.amountMsat.toString(),
        max_fee_mtokens: payment.maxFeeMsat.toString(),
        max_timeout_height: height + payment.maxTimeoutBlocks,
        pathfinding_timeout: payment.pathfindingTimeoutMs,
        features: announced ? undefined : [TLV_ONION_FEATURE],
        messages: [
          { type: KEYSEND_RECORD_TYPE.toString(), value: hex(payment.preimage) },
          ...payment.records.map((record) => ({
            type: record.type.toString(),
            value: hex(record.value),
          })),
        ],
      });
    } catch (error) {
      // The library checks its arguments synchronously: nothing reached LND.
      throw new PermanentPaymentError('INVALID_PAYMENT', `payment refused: ${detailsOf(error)}`, {
        cause: error,
      });
    }
    return followPayment(sub, deadline, payment, hooks, 'keysend');
  };

  /**
   * Pays a BOLT11 invoice (an LNURL-pay tip): LND's duplicate guard works per hash, as for
   * keysend, so every attempt of the tip pays the one invoice stored on it.
   */
  const payInvoice = async (
    payment: InvoicePayment,
    hooks: { onInFlight?: () => void } = {},
  ): Promise<SettledPayment> => {
    const deadline = Date.now() + payment.waitMs;
    const { height } = await readiness(payment.destination);
    let sub: ReturnType<typeof subscribeToPayViaRequest>;
    try {
      sub = subscribeToPayViaRequest({
        lnd,
        request: payment.invoice,
        max_fee_mtokens: payment.maxFeeMsat.toString(),
        max_timeout_height: height + payment.maxTimeoutBlocks,
        pathfinding_timeout: payment.pathfindingTimeoutMs,
      });
    } catch (error) {
      throw new PermanentPaymentError('INVALID_PAYMENT', `payment refused: ${detailsOf(error)}`, {
        cause: error,
      });
    }
    return followPayment(sub, deadline, payment, hooks, 'invoice');
  };

  const decodeInvoice = async (invoice: string): Promise<DecodedInvoice> => {
    let decoded: DecodePaymentRequestResult;
    try {
      decoded = await rpc('decodePaymentRequest', decodePaymentRequest({ lnd, request: invoice }));
    } catch (error) {
      if (error instanceof TransientPaymentError) throw error;
      // LND answered, and cannot read it (another network, a bad checksum): never payable.
      if (isLightningError(error) && error[0] >= 400 && error[0] < 500) {
        throw new PermanentPaymentError(
          'INVALID_PAYMENT',
          `LND cannot read the invoice: ${detailsOf(error)}`,
          { cause: error },
        );
      }
      throw new TransientPaymentError(`LND did not decode the invoice: ${detailsOf(error)}`, {
        cause: error,
      });
    }
    return {
      paymentHash: decoded.id,
      ...(decoded.mtokens && decoded.mtokens !== '0'
        ? { amountMsat: BigInt(decoded.mtokens) }
        : {}),
      payee: decoded.destination,
      ...(decoded.description_hash ? { descriptionHash: decoded.description_hash } : {}),
      expiresAt: new Date(decoded.expires_at),
    };
  };

  const amp = createAmp(lnd, { rpc, readiness });

  const assessRoute: LightningNode['assessRoute'] = async (query) => {
    try {
      const [node, route] = await Promise.all([
        rpc(
          'getNode',
          getNode({ lnd, public_key: query.destination, is_omitting_channels: true }),
        ).catch((error: unknown) => {
          if (isLightningError(error) && error[0] === 404) return undefined;
          throw error;
        }),
        rpc(
          'getRouteToDestination',
          getRouteToDestination({
            lnd,
            destination: query.destination,
            mtokens: query.amountMsat.toString(),
            max_fee_mtokens: query.maxFeeMsat.toString(),
          }),
        ).catch((error: unknown) => {
          // An unannounced node (no graph entry, no hints): only a send can tell; keysend it.
          if (isLightningError(error) && /unable to find a path/i.test(detailsOf(error))) {
            return { route: undefined };
          }
          throw error;
        }),
      ]);
      const bits = new Set((node?.features ?? []).map((feature) => feature.bit));
      return {
        singlePath: route.route !== undefined || node === undefined,
        advertisesAmp: AMP_FEATURE_BITS.some((bit) => bits.has(bit)),
      };
    } catch (error) {
      if (error instanceof TransientPaymentError) throw error;
      throw new TransientPaymentError(
        `could not ask LND for a route to ${query.destination.slice(0, 10)}…: ${detailsOf(error)}`,
        { cause: error },
      );
    }
  };

  return {
    payKeysend,
    payInvoice,
    decodeInvoice,
    lookupPayment,
    payAmp: amp.payAmp,
    lookupAmpPayment: amp.lookupAmpPayment,
    assessRoute,
    getPubkey: async () => (await rpc('getWalletInfo', getWalletInfo({ lnd }))).public_key,
    paymentState: async () => {
      // Asked fresh (not `walletInfoNow`'s cached answer): it judges the failure just seen.
      const [info, { channels }] = await Promise.all([
        rpc('getWalletInfo', getWalletInfo({ lnd })),
        rpc('getChannels', getChannels({ lnd })),
      ]);
      return {
        channels: channels.map((channel) => ({
          active: channel.is_active,
          localBalanceMsat: BigInt(channel.local_balance) * 1000n,
          // `lightning`: lifetime − uptime of ListChannels, monitored since the node started.
          offlineMs: channel.time_offline ?? 0,
        })),
        // Older LND omits it: then it cannot be the explanation.
        syncedToGraph: info.is_synced_to_graph ?? true,
      };
    },
    keyAgreement: createKeyAgreement(
      lnd,
      rpc,
      options.sharedSecretCacheSize ?? SHARED_SECRET_CACHE_SIZE,
    ),
  };
};

// ---------------------------------------------------------------------------------------------
// AMP: `lightning` has no option for it, so the raw routerrpc/lnrpc calls, here and nowhere else.

/** Shards an AMP payment may be split into. */
const AMP_MAX_PARTS = 16;
/** Payments read per ListPayments page (the search reads every page since the tip's creation). */
const PAYMENTS_PAGE = 500;
/** Slack on `since` for clock skew between the payer and LND. */
const SINCE_SLACK_SECONDS = 600;
/** TLV onion, payment address, AMP (optional bits): what an unannounced AMP recipient must have. */
const AMP_DEST_FEATURES = [9, 15, 31];

/** A `lnrpc.Payment` as the raw client gives it (enums as strings, longs as strings, bytes as Buffer). */
interface RawPayment {
  payment_hash: string;
  value_msat: string;
  fee_msat: string;
  status: 'UNKNOWN' | 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED' | 'INITIATED';
  failure_reason: string;
  htlcs: Array<{
    status: 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED';
    resolve_time_ns: string;
    preimage: Buffer;
    route?: {
      hops: Array<{
        pub_key: string;
        mpp_record?: { payment_addr: Buffer } | null;
        amp_record?: { set_id: Buffer } | null;
      }>;
    };
  }>;
}

/** LND's failure_reason, as the flags `permanentFailure` reads. */
const failedEventOf = (reason: string): FailedEvent => ({
  is_route_not_found: reason === 'FAILURE_REASON_NO_ROUTE',
  is_pathfinding_timeout: reason === 'FAILURE_REASON_TIMEOUT',
  is_invalid_payment: reason === 'FAILURE_REASON_INCORRECT_PAYMENT_DETAILS',
  is_insufficient_balance: reason === 'FAILURE_REASON_INSUFFICIENT_BALANCE',
  is_canceled: reason === 'FAILURE_REASON_CANCELED',
});

/** An AMP payment LND failed, in words: a refusal names AMP, not keysend. */
const ampFailure = (reason: string, destination: string): PermanentPaymentError => {
  const failure = permanentFailure(failedEventOf(reason), destination);
  if (failure.code !== 'REJECTED_BY_DESTINATION') return failure;
  return new PermanentPaymentError(
    'REJECTED_BY_DESTINATION',
    `recipient ${destination.slice(0, 10)}… rejected the AMP payment: it does not accept AMP (lnd --accept-amp, feature bit 30/31) or refused its records`,
    { cause: reason },
  );
};

/** The settled shards of an AMP payment as the receipt needs them. */
const settledAmp = (payment: RawPayment): SettledPayment | undefined => {
  const settled = payment.htlcs.filter((htlc) => htlc.status === 'SUCCEEDED');
  const [first] = settled;
  if (!first) return undefined;
  if (first.preimage.length !== 32) return undefined;
  const preimage = new Uint8Array(first.preimage);
  const resolved = Math.max(
    ...settled.map((htlc) => Number(BigInt(htlc.resolve_time_ns) / 1_000_000n)),
  );
  const setId = first.route?.hops.at(-1)?.amp_record?.set_id;
  return {
    status: 'succeeded',
    preimage,
    paymentHash: new Uint8Array(createHash('sha256').update(preimage).digest()),
    feeMsat: BigInt(payment.fee_msat),
    hops: (first.route?.hops ?? []).map((hop) => hop.pub_key),
    settledAt: new Date(resolved > 0 ? resolved : Date.now()).toISOString(),
    amp: {
      setId: setId && setId.length === 32 ? setId.toString('hex') : payment.payment_hash,
      shards: settled.length,
    },
  };
};

/** Whether a payment carries the address in any shard's MPP record. */
const carriesAddress = (payment: RawPayment, address: string): boolean =>
  payment.htlcs.some(
    (htlc) => htlc.route?.hops.at(-1)?.mpp_record?.payment_addr?.toString('hex') === address,
  );

/** LND refused the request itself (nothing was sent): its own argument checks. */
const AMP_REQUEST_REFUSED =
  /doesn't support AMP|amount must be specified|exceeds maximum possible amount|invalid|cltv limit/i;

const createAmp = (
  lnd: AuthenticatedLnd,
  helpers: {
    rpc: <T>(what: string, call: Promise<T>) => Promise<T>;
    readiness: (destination: string) => Promise<{ height: number; announced: boolean }>;
  },
) => {
  const listPayments = (request: Record<string, unknown>) =>
    new Promise<{ payments: RawPayment[]; last_index_offset: string }>((resolve, reject) =>
      lnd.default.listPayments(request, (error: unknown, response: never) =>
        error ? reject(error) : resolve(response),
      ),
    );

  const lookupAmpPayment = async (lookup: AmpLookup): Promise<PaymentLookup> => {
    const address = hex(lookup.paymentAddr);
    const amount = lookup.amountMsat.toString();
    let offset = '0';
    const found: RawPayment[] = [];
    let unattributed = false;
    // Every page, however many: a bound would leave a tip whose money moved undecidable for good.
    for (;;) {
      let response: Awaited<ReturnType<typeof listPayments>>;
      try {
        response = await helpers.rpc(
          'listPayments',
          listPayments({
            include_incomplete: true,
            index_offset: offset,
            max_payments: PAYMENTS_PAGE,
            creation_date_start: Math.max(
              0,
              Math.floor(lookup.since.getTime() / 1000) - SINCE_SLACK_SECONDS,
            ),
          }),
        );
      } catch (error) {
        if (error instanceof TransientPaymentError) throw error;
        throw new TransientPaymentError(
          `could not search LND's payments for AMP address ${address}: ${detailsOf(error)}`,
          { cause: error },
        );
      }
      for (const payment of response.payments) {
        if (carriesAddress(payment, address)) found.push(payment);
        // In flight without a shard yet: its address cannot be read, so it may be ours.
        else if (
          (payment.status === 'IN_FLIGHT' || payment.status === 'INITIATED') &&
          payment.htlcs.length === 0 &&
          payment.value_msat === amount
        ) {
          unattributed = true;
        }
      }
      if (response.payments.length < PAYMENTS_PAGE) break;
      offset = response.last_index_offset;
    }
    for (const payment of found) {
      if (payment.status !== 'SUCCEEDED') continue;
      const settled = settledAmp(payment);
      if (settled) return settled;
      // Money moved but the shard cannot be read: never "not found" (that would allow a re-send).
      throw new TransientPaymentError(
        `LND reports an AMP payment to address ${address} SUCCEEDED without a readable shard preimage; asking again later`,
      );
    }
    if (unattributed || found.some((p) => p.status === 'IN_FLIGHT' || p.status === 'INITIATED')) {
      return { status: 'in_flight' };
    }
    const failed = found.filter(
      (payment) =>
        payment.status === 'FAILED' && payment.failure_reason !== 'FAILURE_REASON_CANCELED',
    );
    const latest = failed.at(-1);
    if (!latest) return { status: 'not_found' };
    const failure = ampFailure(latest.failure_reason, 'recipient');
    return { status: 'failed', code: failure.code, message: failure.message };
  };

  const payAmp = async (
    payment: AmpPayment,
    hooks: { onInFlight?: () => void } = {},
  ): Promise<SettledPayment> => {
    const deadline = Date.now() + payment.waitMs;
    const { announced } = await helpers.readiness(payment.destination);
    // biome-ignore lint/suspicious/noExplicitAny: the raw gRPC stream of routerrpc.SendPaymentV2
    let stream: any;
    try {
      stream = lnd.router.sendPaymentV2({
        dest: Buffer.from(payment.destination, 'hex'),
        amt_msat: payment.amountMsat.toString(),
        payment_addr: Buffer.from(payment.paymentAddr),
        amp: true,
        fee_limit_msat: payment.maxFeeMsat.toString(),
        // Relative: the route's total time lock, as `max_timeout_height - height` is for keysend.
        cltv_limit: payment.maxTimeoutBlocks,
        timeout_seconds: Math.max(1, Math.ceil(payment.pathfindingTimeoutMs / 1000)),
        max_parts: AMP_MAX_PARTS,
        // Announced: LND sets TLV onion, payment address and AMP itself. Unannounced: say so.
        dest_features: announced ? undefined : AMP_DEST_FEATURES,
        dest_custom_records: payment.records.length
          ? Object.fromEntries(
              payment.records.map((record) => [record.type.toString(), Buffer.from(record.value)]),
            )
          : undefined,
        no_inflight_updates: false,
        cancelable: true,
      });
    } catch (error) {
      throw new PermanentPaymentError(
        'INVALID_PAYMENT',
        `AMP payment refused: ${detailsOf(error)}`,
        {
          cause: error,
        },
      );
    }
    return new Promise<SettledPayment>((resolve, reject) => {
      let done = false;
      let sawUpdate = false;
      const finish = (action: () => void, giveUp = false) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stream.removeAllListeners();
        stream.on('error', () => {});
        // Given up: the call must not reach LND later (a call still queued in grpc-js would go out
        // whenever a frozen container thaws, after a re-send of the same payment address).
        if (giveUp) stream.cancel?.();
        action();
      };
      const timer = setTimeout(
        () =>
          finish(
            () =>
              reject(
                new AmbiguousPaymentError(
                  `no outcome from LND within ${payment.waitMs} ms: the AMP payment may still be in flight`,
                ),
              ),
            true,
          ),
        Math.max(0, deadline - Date.now()),
      );
      let inFlight = false;
      stream.on('data', (update: RawPayment) => {
        sawUpdate = true;
        if (update.status === 'IN_FLIGHT' && update.htlcs.length > 0 && !inFlight) {
          inFlight = true;
          hooks.onInFlight?.();
        }
        if (update.status === 'SUCCEEDED') {
          const settled = settledAmp(update);
          finish(() =>
            settled
              ? resolve(settled)
              : reject(
                  new AmbiguousPaymentError(
                    'LND reported the AMP payment settled without a shard preimage',
                  ),
                ),
          );
        } else if (update.status === 'FAILED') {
          finish(() =>
            reject(
              update.failure_reason === 'FAILURE_REASON_CANCELED'
                ? new TransientPaymentError('LND canceled the AMP payment; it will be sent again', {
                    cause: update,
                  })
                : ampFailure(update.failure_reason, payment.destination),
            ),
          );
        }
      });
      stream.on('error', (error: { details?: string; message?: string }) =>
        finish(() => {
          const details = error?.details ?? error?.message ?? String(error);
          // Refused before LND created a payment: its own argument checks. Anything else may
          // have left (a dropped stream): only a lookup of the address can tell.
          reject(
            !sawUpdate && AMP_REQUEST_REFUSED.test(details)
              ? new PermanentPaymentError(
                  'INVALID_PAYMENT',
                  `AMP payment refused by LND: ${details}`,
                  {
                    cause: error,
                  },
                )
              : new AmbiguousPaymentError(`AMP payment stream failed: ${details}`, {
                  cause: error,
                }),
          );
        }),
      );
      stream.on('end', () =>
        finish(() =>
          reject(new AmbiguousPaymentError('the AMP payment stream ended without an outcome')),
        ),
      );
    });
  };

  return { payAmp, lookupAmpPayment };
};

/**
 * The operator's node over gRPC: socket, TLS cert and macaroon (both base64); `keyAgreement` is
 * its ECDH for shared-secret tips.
 */
export const connectLndNode = (
  credentials: { socket: string; cert: string; macaroon: string },
  options: LndNodeOptions,
): LightningNode & { keyAgreement: NodeKeyAgreement } => {
  const lnd = lndGrpc(credentials);
  return createLndNode(options.onCall ? countingCalls(lnd, options.onCall) : lnd, options);
};

/**
 * `lnd` whose service clients (`default`, `router`, `signer`…) report each gRPC method call: the
 * methods of the generated client, not grpc-js's own (`close`, `waitForReady`…).
 */
const countingCalls = (lnd: AuthenticatedLnd, onCall: (method: string) => void) =>
  Object.fromEntries(
    Object.entries(lnd).map(([service, client]) => {
      const grpcClient = Object.getPrototypeOf(Object.getPrototypeOf(client));
      const counted = new Proxy(client as object, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string') return value;
          if (grpcClient && property in grpcClient) return value;
          return (...args: unknown[]) => {
            onCall(`${service}.${property}`);
            return value.apply(target, args);
          };
        },
      });
      return [service, counted];
    }),
  ) as unknown as AuthenticatedLnd;

/** A payment as router.TrackPaymentV2 streams it (`lightning`'s gRPC loader: snake_case, enum names). */
interface TrackedPayment {
  status: string;
  htlcs?: Array<{
    attempt_id: string;
    status: string;
    attempt_time_ns?: string;
    route?: { total_time_lock: number; hops?: Array<{ chan_id: string }> };
  }>;
}

/** `lightning`'s standard channel id format (block x tx x output) from a numeric short id. */
const standardChannelId = (numeric: string) => {
  const id = BigInt(numeric);
  return `${id >> 40n}x${(id >> 16n) & 0xffffffn}x${id & 0xffffn}`;
};

/**
 * The first update of router.TrackPaymentV2 for a hash: the payment with every HTLC attempt.
 * Read raw: `getPayment` emits nothing for a payment IN_FLIGHT without an in-flight HTLC (it
 * waits for a change that may never come), and hides ended attempts.
 */
const trackOnce = (
  lnd: AuthenticatedLnd,
  paymentHash: Uint8Array,
  timeoutMs: number,
): Promise<TrackedPayment | undefined> =>
  new Promise((resolve, reject) => {
    const router = (lnd as unknown as { router: { trackPaymentV2: (args: object) => RawStream } })
      .router;
    const stream = router.trackPaymentV2({
      payment_hash: Buffer.from(paymentHash),
      no_inflight_updates: false,
    });
    let done = false;
    const finish = (action: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      action();
      stream.cancel();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new TransientPaymentError(`LND did not answer TrackPaymentV2 within ${timeoutMs} ms`),
          ),
        ),
      timeoutMs,
    );
    stream.on('data', (payment: TrackedPayment) => finish(() => resolve(payment)));
    stream.on('error', (error: { details?: string; message?: string }) =>
      finish(() =>
        /not initiated|not found/i.test(error.details ?? error.message ?? '')
          ? resolve(undefined)
          : reject(
              new TransientPaymentError(
                `could not track payment ${hex(paymentHash)}: ${error.details ?? error.message}`,
                { cause: error },
              ),
            ),
      ),
    );
  });

interface RawStream {
  on(event: string, listener: (value: never) => void): void;
  cancel(): void;
}

/**
 * LND's own view of a payment hash for the stuck-payment check: its attempts (status, first hop,
 * timeout height) from the payment database, the HTLCs with the hash on every open channel, and
 * the chain height.
 */
export const connectLndInspector = (
  credentials: { socket: string; cert: string; macaroon: string },
  options: LndNodeOptions,
): PaymentInspector => {
  const lnd = lndGrpc(credentials);
  const rpc = timedRpc(options.rpcTimeoutMs);
  return {
    async inspectPayment(paymentHash) {
      const id = hex(paymentHash);
      const [payment, { channels }, info] = await Promise.all([
        trackOnce(lnd, paymentHash, options.rpcTimeoutMs),
        rpc('getChannels', getChannels({ lnd })),
        rpc('getWalletInfo', getWalletInfo({ lnd })),
      ]);
      const attempts: LndAttemptView[] = (payment?.htlcs ?? []).map((htlc) => {
        const firstHop = htlc.route?.hops?.[0]?.chan_id;
        return {
          attemptId: String(htlc.attempt_id),
          status: htlc.status as LndAttemptView['status'],
          startedAt: htlc.attempt_time_ns
            ? new Date(Number(BigInt(htlc.attempt_time_ns) / 1_000_000n)).toISOString()
            : undefined,
          timeoutHeight: Number(htlc.route?.total_time_lock ?? 0),
          firstHopChannel: firstHop ? standardChannelId(firstHop) : undefined,
        };
      });
      const view: LndPaymentView = {
        status: (payment?.status ?? 'NOT_FOUND') as LndPaymentView['status'],
        attempts,
        htlcs: channels.flatMap((channel) =>
          channel.pending_payments
            .filter((htlc) => htlc.id === id)
            .map((htlc) => ({
              channel: channel.id,
              peer: channel.partner_public_key,
              isOutgoing: htlc.is_outgoing,
              timeoutHeight: htlc.timeout,
              amountMsat: String(BigInt(htlc.tokens) * 1000n),
            })),
        ),
        openChannels: channels.map((channel) => channel.id),
        height: info.current_block_height,
        checkedAt: new Date().toISOString(),
      };
      return view;
    },
  };
};
