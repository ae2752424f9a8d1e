import { z } from '@hono/zod-openapi';
import { SignedReceiptSchema } from '../../../shared/domain/receipt.js';
import {
  BatchId,
  Failure,
  Hex32,
  MsatString,
  NodePubkey,
  NodePubkeyInput,
  PlatformId,
  StatusUrl,
  Timestamp,
  TipId,
  TipState,
} from './primitives.js';
import { PayoutFileError } from './problems.js';

// The bodies of the API's answers. Strict objects: a field the document does not name is a
// contract break the conformance test catches.

const count = z.number().int().min(0);

const SignedReceipt = SignedReceiptSchema.meta({
  id: 'SignedReceipt',
  description:
    "The operator's attestation that the tip was paid: `receipt` signed with BIP-340 Schnorr over the tagged hash (`tipstream/receipt/v1`) of its canonical JSON (keys sorted). Verify offline with the operator's public key; `sha256(preimage)` equals `paymentHash`.",
});

export const TipAcceptedSchema = z
  .strictObject({ tipId: TipId, status: z.literal('ACCEPTED'), statusUrl: StatusUrl })
  .openapi('TipAccepted');

const tipStatusFields = {
  tipId: TipId,
  recipient: NodePubkeyInput.optional().openapi({
    description:
      "The recipient's node id: as the request sent it while `ACCEPTED` (either case), lowercase once the payer has recorded the tip.",
  }),
  amountMsat: MsatString,
  acceptedAt: Timestamp.optional().openapi({
    description: 'When the API accepted it (absent for a tip that did not come through the API).',
  }),
  updatedAt: Timestamp.optional().openapi({
    description: "Last change in the payer's ledger (absent while `ACCEPTED`).",
  }),
  attempts: count.openapi({ description: 'How many times the payer started paying it.' }),
};

export const TipStatusSchema = z
  .union([
    z.strictObject({ ...tipStatusFields, status: z.enum(['ACCEPTED', 'RECEIVED', 'SENDING']) }),
    z.strictObject({
      ...tipStatusFields,
      status: z.literal('SUCCEEDED'),
      recipient: NodePubkeyInput,
      updatedAt: Timestamp,
      receipt: SignedReceipt,
    }),
    z.strictObject({
      ...tipStatusFields,
      status: z.literal('FAILED'),
      recipient: NodePubkeyInput,
      updatedAt: Timestamp,
      failure: Failure,
    }),
  ])
  .openapi('TipStatus', {
    description:
      '`ACCEPTED` until the payer has recorded the tip; `SUCCEEDED` with its signed `receipt`, `FAILED` with its `failure`.',
  });

const batchAcceptedFields = {
  batchId: BatchId,
  status: z.literal('ACCEPTED'),
  rows: count.openapi({ description: 'How many tips the batch pays (a count, not the rows).' }),
  totalMsat: MsatString,
  statusUrl: StatusUrl,
};

export const PayoutAcceptedSchema = z
  .strictObject({
    ...batchAcceptedFields,
    rows: z.number().int().min(1),
    skipped: z.array(PayoutFileError).min(1).optional().openapi({
      description:
        'The rows that were not paid (only with `allowPartial`, only when some were bad).',
    }),
  })
  .openapi('PayoutAccepted');

export const SplitAcceptedSchema = z
  .strictObject({
    ...batchAcceptedFields,
    parts: z
      .array(
        z
          .strictObject({
            tipId: TipId,
            recipient: NodePubkey,
            name: z.string().optional(),
            fee: z.boolean(),
            amountMsat: MsatString,
          })
          .openapi('SplitPart'),
      )
      .openapi({ description: 'The paid parts, in recipient order.' }),
    belowMinimum: z
      .array(
        z
          .strictObject({
            recipient: NodePubkey,
            name: z.string().optional(),
            amountMsat: MsatString,
            reason: z.string(),
          })
          .openapi('SplitBelowMinimum'),
      )
      .openapi({ description: 'Parts too small to pay (below `minPartMsat`, or 0).' }),
  })
  .openapi('SplitAccepted');

const BatchRowResult = z
  .strictObject({
    line: z
      .number()
      .int()
      .min(1)
      .openapi({ description: 'CSV line, JSON row (1-based) or split part index + 1.' }),
    tipId: TipId,
    recipient: NodePubkey.optional(),
    amountMsat: MsatString,
    status: TipState,
    feeMsat: MsatString.optional().openapi({ description: 'Routing fee paid (SUCCEEDED rows).' }),
    paymentHash: Hex32.optional(),
    reason: z.string().optional().openapi({
      description:
        'Why the row failed (FAILED rows; the failure code is on `GET /v1/tips/{tipId}`).',
    }),
  })
  .openapi('BatchRowResult');

const batchFields = {
  batchId: BatchId,
  kind: z.enum(['payout', 'split']),
  acceptedAt: Timestamp,
  counts: z.strictObject({ total: count, succeeded: count, failed: count, pending: count }),
  msat: z.strictObject({
    total: MsatString,
    succeeded: MsatString,
    failed: MsatString,
    pending: MsatString,
    fees: MsatString,
  }),
};

/** A batch not yet DONE: counts and totals, and while INCOMPLETE what is missing. */
const RunningBatch = z
  .strictObject({
    ...batchFields,
    status: z.enum(['IN_PROGRESS', 'INCOMPLETE']),
    incomplete: z.strictObject({ unrecordedRows: count, detail: z.string() }).optional().openapi({
      description: 'Only while `INCOMPLETE`, how many rows are not recorded and what to do.',
    }),
  })
  .openapi('RunningBatch');

export const BatchStatusSchema = z
  .union([
    RunningBatch,
    z
      .strictObject({
        ...batchFields,
        status: z.literal('DONE'),
        rows: z
          .array(BatchRowResult)
          .openapi({ description: "Every row's outcome, by line; only once `DONE`." }),
      })
      .openapi('DoneBatch'),
  ])
  .openapi('BatchStatus');

/** The `next` page of a list: its path with `limit` and `cursor`; absent on the last page. */
const nextPage = (pattern: RegExp) =>
  z.string().regex(pattern).optional().openapi({
    description: "The next page's path (with `limit` and `cursor`); absent on the last page.",
    format: 'uri-reference',
  });

export const RecipientPayoutsSchema = z
  .strictObject({
    recipient: NodePubkey,
    totals: z
      .strictObject({
        paidMsat: MsatString,
        feeMsat: MsatString,
        tipCount: count,
        lastPaidAt: Timestamp.optional(),
      })
      .openapi({
        description:
          "This platform's all-time totals for the recipient (other platforms' payouts not counted).",
      }),
    payouts: z
      .array(
        z
          .strictObject({
            tipId: TipId,
            platformId: PlatformId,
            amountMsat: MsatString,
            feeMsat: MsatString.optional(),
            settledAt: Timestamp,
            paymentHash: Hex32,
            batchId: BatchId.optional(),
          })
          .openapi('PayoutHistoryEntry'),
      )
      .max(100)
      .openapi({ description: 'Settled payouts from this platform, newest first.' }),
    next: nextPage(
      /^\/v1\/recipients\/0[23][0-9a-f]{64}\/payouts\?limit=[0-9]+&cursor=[A-Za-z0-9_-]+$/,
    ),
  })
  .openapi('RecipientPayouts');

const tipListFields = {
  tipId: TipId,
  recipient: NodePubkey,
  amountMsat: MsatString,
  feeMsat: MsatString.optional(),
  createdAt: Timestamp.openapi({ description: 'When the payer recorded the tip.' }),
  updatedAt: Timestamp,
  settledAt: Timestamp.optional(),
  attempts: count,
  batchId: TipId.optional(),
  statusUrl: StatusUrl,
};

const TipListEntry = z
  .union([
    z.strictObject({ ...tipListFields, status: z.enum(['RECEIVED', 'SENDING']) }),
    z.strictObject({
      ...tipListFields,
      status: z.literal('SUCCEEDED'),
      feeMsat: MsatString.openapi({ description: 'Routing fee paid.' }),
      settledAt: Timestamp,
    }),
    z.strictObject({ ...tipListFields, status: z.literal('FAILED'), failure: Failure }),
  ])
  .openapi('TipListEntry', {
    description: 'One tip as the payer recorded it; the signed receipt is at `statusUrl`.',
  });

export const TipListSchema = z
  .strictObject({
    tips: z.array(TipListEntry).max(100).openapi({ description: 'Newest first.' }),
    next: nextPage(/^\/v1\/tips\?limit=[0-9]+&cursor=[A-Za-z0-9_-]+$/),
  })
  .openapi('TipList');

const SummaryCount = z.strictObject({ count, msat: MsatString }).openapi('SummaryCount');

export const PlatformSummarySchema = z
  .strictObject({
    platformId: PlatformId,
    window: z.strictObject({
      name: z.enum(['24h', '7d', '30d']),
      from: Timestamp.openapi({ description: 'Start of the first bucket.' }),
      to: Timestamp.openapi({ description: 'When the summary was made.' }),
      bucket: z.enum(['hour', 'day']),
    }),
    totals: z.strictObject({
      tips: count,
      succeeded: z.strictObject({ count, msat: MsatString, feeMsat: MsatString }),
      failed: SummaryCount,
      pending: SummaryCount.openapi({
        description: 'RECEIVED or SENDING, among the newest 1,000 tips of the window.',
      }),
    }),
    recipients: z
      .array(
        z.strictObject({
          recipient: NodePubkey,
          paidMsat: MsatString,
          feeMsat: MsatString,
          succeeded: count,
          failed: count,
          pending: count,
          lastPaidAt: Timestamp.optional(),
        }),
      )
      .max(50)
      .openapi({
        description:
          'Per recipient, most paid first (at most 50), over the newest 1,000 tips of the window.',
      }),
    recipientCount: count.openapi({
      description: 'How many recipients the newest 1,000 tips of the window have.',
    }),
    series: z
      .array(
        z.strictObject({
          start: Timestamp,
          paidMsat: MsatString,
          tips: count.openapi({ description: 'Tips settled in the bucket.' }),
        }),
      )
      .min(7)
      .max(30)
      .openapi({
        description:
          'Sats paid per bucket by settle time, oldest first, every bucket of the window.',
      }),
    failures: z
      .array(
        z.strictObject({
          tipId: TipId,
          recipient: NodePubkey,
          amountMsat: MsatString,
          failedAt: Timestamp,
          code: Failure.shape.code.optional(),
          reason: z.string().optional(),
          batchId: TipId.optional(),
          statusUrl: StatusUrl,
        }),
      )
      .max(20)
      .openapi({
        description:
          'The latest failures, newest first (at most 20), among the newest 1,000 tips of the window.',
      }),
    runningBatches: z.array(RunningBatch).max(20).openapi({
      description: 'Batches accepted in the window and not yet done, newest first (at most 20).',
    }),
    budget: z
      .strictObject({ limitMsat: MsatString, usedMsat: MsatString, resetsAt: Timestamp })
      .openapi({
        description:
          "Today's platform budget (UTC day). `usedMsat` counts what the platform's tips took from it: paid tips their amount and the routing fee actually paid, tips not yet paid their amount and their routing-fee limit; failed tips nothing.",
      }),
    truncated: z.boolean().openapi({
      description:
        'True when the window holds more than the 1,000 tips `recipients`, `failures` and `pending` are made of (`totals` and `series` always count every tip).',
    }),
  })
  .openapi('PlatformSummary');
