import { z } from '@hono/zod-openapi';

// The zod schemas of the API's answers, as openapi.yaml (still the published contract) declares
// them: test/integration/openapi-contract.test.ts checks real answers against that document.

const MsatString = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .openapi('MsatString', {
    description: 'An amount in millisatoshis as a decimal string (exact).',
  });
const NodePubkey = z.string().regex(/^0[23][0-9a-f]{64}$/);
const Timestamp = z.string().openapi({ format: 'date-time' });
const TipId = z.string().regex(/^[A-Za-z0-9._:@-]{1,255}$/);
const StatusUrl = z
  .string()
  .regex(/^\/v1\//)
  .openapi({ description: 'The status path of what was accepted (relative to the server).' });
const TipState = z.enum(['ACCEPTED', 'RECEIVED', 'SENDING', 'SUCCEEDED', 'FAILED']);
const Failure = z.object({ code: z.string().optional(), reason: z.string().optional() });

/** An RFC 9457 problem (`application/problem+json`); `type` ends in a stable slug. */
const ProblemSchema = z
  .object({
    type: z.string().regex(/^https:\/\/tipstream\.dev\/problems\/[a-z0-9-]+$/),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          field: z.string().optional(),
          line: z.number().int().optional(),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .openapi('Problem');

/** A problem answer, as each route lists it under its status. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The problems every authenticated route may answer. */
export const COMMON_PROBLEMS = {
  401: problem('The request is not authenticated (signature, platform, replay).'),
  413: problem('The body is larger than the route accepts (`body-too-large`).'),
  500: problem('Tipstream could not handle the request (`internal-error`).'),
};

/** The problems every write route may answer besides the common ones. */
export const WRITE_PROBLEMS = {
  ...COMMON_PROBLEMS,
  400: problem('No usable `Idempotency-Key`, or a body that is not a JSON object.'),
  409: problem('The `Idempotency-Key` was already used for a different request.'),
  429: problem('Over the platform daily or operator hourly budget; see `Retry-After`.'),
};

export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({ description: 'Unique per request (1-255 characters); a retry reuses it.' }),
});

/** A query parameter: routes read the first value (`c.req.query`), as before; never refused here. */
export const queryParam = (description: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({ description, type: 'string' });

export const PageQuery = z.object({
  limit: queryParam('Page size 1-100 (lowered or raised to fit); anything not a number is 25.'),
  cursor: queryParam('The cursor of the previous page (from its `next`).'),
});

export const TipAcceptedSchema = z
  .object({ tipId: TipId, status: z.literal('ACCEPTED'), statusUrl: StatusUrl })
  .openapi('TipAccepted');

const PayoutFileError = z.object({ line: z.number().int().min(0), message: z.string() });

const BatchAcceptedFields = {
  batchId: z.string(),
  status: z.literal('ACCEPTED'),
  rows: z.number().int().min(0),
  totalMsat: MsatString,
  statusUrl: StatusUrl,
};

export const PayoutAcceptedSchema = z
  .object({ ...BatchAcceptedFields, skipped: z.array(PayoutFileError).optional() })
  .openapi('PayoutAccepted');

export const SplitAcceptedSchema = z
  .object({
    ...BatchAcceptedFields,
    parts: z.array(
      z.object({
        tipId: TipId.optional(),
        recipient: z.string(),
        name: z.string().optional(),
        fee: z.boolean(),
        amountMsat: MsatString,
      }),
    ),
    belowMinimum: z.array(
      z.object({
        recipient: z.string(),
        name: z.string().optional(),
        amountMsat: MsatString,
        reason: z.string(),
      }),
    ),
  })
  .openapi('SplitAccepted');

export const TipStatusSchema = z
  .object({
    tipId: TipId,
    status: TipState,
    recipient: z.string().optional(),
    amountMsat: MsatString,
    acceptedAt: Timestamp.optional(),
    updatedAt: Timestamp.optional(),
    attempts: z.number().int().min(0),
    failure: Failure.optional(),
    receipt: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'The signed receipt (SUCCEEDED tips).' }),
  })
  .openapi('TipStatus');

const BatchProgressSchema = z.object({
  batchId: z.string(),
  kind: z.enum(['payout', 'split']),
  status: z.enum(['IN_PROGRESS', 'INCOMPLETE', 'DONE']),
  acceptedAt: Timestamp,
  counts: z.object({
    total: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
  }),
  msat: z.object({
    total: MsatString,
    succeeded: MsatString,
    failed: MsatString,
    pending: MsatString,
    fees: MsatString,
  }),
});

export const BatchStatusSchema = BatchProgressSchema.extend({
  incomplete: z.object({ unrecordedRows: z.number().int(), detail: z.string() }).optional(),
  rows: z.array(z.record(z.string(), z.unknown())).optional(),
}).openapi('BatchStatus');

export const RecipientPayoutsSchema = z
  .object({
    recipient: NodePubkey,
    totals: z.object({
      paidMsat: MsatString,
      feeMsat: MsatString,
      tipCount: z.number().int(),
      lastPaidAt: Timestamp.optional(),
    }),
    payouts: z.array(
      z.object({
        tipId: TipId,
        platformId: z.string(),
        amountMsat: MsatString,
        feeMsat: MsatString.optional(),
        settledAt: Timestamp,
        paymentHash: z.string(),
        batchId: z.string().optional(),
      }),
    ),
    next: z.string().optional(),
  })
  .openapi('RecipientPayouts');

export const TipListSchema = z
  .object({
    tips: z.array(
      z.object({
        tipId: TipId,
        status: z.enum(['RECEIVED', 'SENDING', 'SUCCEEDED', 'FAILED']),
        recipient: z.string(),
        amountMsat: MsatString,
        feeMsat: MsatString.optional(),
        createdAt: Timestamp,
        updatedAt: Timestamp,
        settledAt: Timestamp.optional(),
        attempts: z.number().int(),
        failure: Failure.optional(),
        batchId: z.string().optional(),
        statusUrl: StatusUrl,
      }),
    ),
    next: z.string().optional(),
  })
  .openapi('TipList');

const SummaryCount = z.object({ count: z.number().int(), msat: MsatString });

export const PlatformSummarySchema = z
  .object({
    platformId: z.string(),
    window: z.object({
      name: z.enum(['24h', '7d', '30d']),
      from: Timestamp,
      to: Timestamp,
      bucket: z.enum(['hour', 'day']),
    }),
    totals: z.object({
      tips: z.number().int(),
      succeeded: z.object({ count: z.number().int(), msat: MsatString, feeMsat: MsatString }),
      failed: SummaryCount,
      pending: SummaryCount,
    }),
    recipients: z.array(
      z.object({
        recipient: z.string(),
        paidMsat: MsatString,
        feeMsat: MsatString,
        succeeded: z.number().int(),
        failed: z.number().int(),
        pending: z.number().int(),
        lastPaidAt: Timestamp.optional(),
      }),
    ),
    recipientCount: z.number().int(),
    series: z.array(z.object({ start: Timestamp, paidMsat: MsatString, tips: z.number().int() })),
    failures: z.array(
      z.object({
        tipId: TipId,
        recipient: z.string(),
        amountMsat: MsatString,
        failedAt: Timestamp,
        code: z.string().optional(),
        reason: z.string().optional(),
        batchId: z.string().optional(),
        statusUrl: StatusUrl,
      }),
    ),
    runningBatches: z.array(BatchProgressSchema),
    budget: z.object({ limitMsat: MsatString, usedMsat: MsatString, resetsAt: Timestamp }),
    truncated: z.boolean(),
  })
  .openapi('PlatformSummary');
