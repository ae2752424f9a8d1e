import { z } from '@hono/zod-openapi';

// The RFC 9457 problems the API answers, one named schema per kind, and the shared responses
// (components) the routes refer to. `problems.ts` next door builds them; this says what they are.

const PROBLEM_BASE = 'https://tipstream.dev/problems/';
const typeOf = (slug: string) => `${PROBLEM_BASE}${slug}`;
const typeEnum = (slugs: [string, ...string[]]) =>
  slugs.length === 1
    ? z.literal(typeOf(slugs[0]))
    : z.enum(slugs.map(typeOf) as [string, ...string[]]);

const ProblemItem = z
  .strictObject({
    field: z.string().optional(),
    line: z.number().int().min(0).optional(),
    message: z.string(),
  })
  .openapi('ProblemItem', {
    description: 'One field (`field`, dotted path) or line (`line`) level problem.',
  });

const FieldError = z.strictObject({ field: z.string(), message: z.string() });

export const PayoutFileError = z
  .strictObject({ line: z.number().int().min(0), message: z.string() })
  .openapi('PayoutFileError', {
    description: 'A problem of one row (`line` 1-based), or of the file as a whole (`line` 0).',
  });

const problemFields = {
  type: z
    .string()
    .regex(/^https:\/\/tipstream\.dev\/problems\/[a-z0-9-]+$/)
    .openapi({
      description: '`https://tipstream.dev/problems/<slug>`; the slug is stable.',
      format: 'uri',
    }),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().openapi({ description: 'What went wrong and what to fix.' }),
};

export const ProblemSchema = z
  .strictObject({ ...problemFields, errors: z.array(ProblemItem).min(1).optional() })
  .openapi('Problem', { description: 'An RFC 9457 problem.' });

/** A problem of one status and the given type slugs; `errors` as the kind allows (none by default). */
const problemOf = (
  name: string,
  status: number,
  slugs: [string, ...string[]],
  extra: { title?: string; errors?: z.ZodType; description?: string } = {},
) =>
  z
    .strictObject({
      ...problemFields,
      type: typeEnum(slugs),
      status: z.literal(status),
      ...(extra.title ? { title: z.literal(extra.title) } : {}),
      ...(extra.errors ? { errors: extra.errors } : {}),
    })
    .openapi(name, extra.description ? { description: extra.description } : {});

const BadRequestProblem = problemOf('BadRequestProblem', 400, [
  'missing-idempotency-key',
  'malformed-json',
]);
const UnauthorizedProblem = problemOf(
  'UnauthorizedProblem',
  401,
  [
    'missing-platform',
    'missing-signature',
    'malformed-signature',
    'bad-signature',
    'stale-timestamp',
    'replayed-request',
  ],
  { title: 'Request not authenticated' },
);
const NotFoundProblem = problemOf('NotFoundProblem', 404, ['not-found']);
export const TipNotFoundProblem = problemOf('TipNotFoundProblem', 404, ['tip-not-found']);
export const BatchNotFoundProblem = problemOf('BatchNotFoundProblem', 404, ['batch-not-found']);
export const WebhookEndpointNotFoundProblem = problemOf('WebhookEndpointNotFoundProblem', 404, [
  'webhook-endpoint-not-found',
]);
export const WebhookDeliveryNotFoundProblem = problemOf('WebhookDeliveryNotFoundProblem', 404, [
  'webhook-delivery-not-found',
]);
const MethodNotAllowedProblem = problemOf('MethodNotAllowedProblem', 405, ['method-not-allowed']);
const ConflictProblem = problemOf('ConflictProblem', 409, ['idempotency-conflict']);
const PayloadTooLargeProblem = problemOf('PayloadTooLargeProblem', 413, ['body-too-large']);
export const TipProblem422 = z
  .union([
    problemOf('InvalidTipProblem', 422, ['invalid-tip'], {
      errors: z.array(FieldError).min(1).max(1),
    }),
    problemOf('PerTipBudgetProblem', 422, ['budget-per-tip']),
  ])
  .openapi('TipProblem422');
export const InvalidRequestProblem = problemOf('InvalidRequestProblem', 422, ['invalid-request'], {
  errors: z.array(FieldError).min(1).max(1).optional(),
  description:
    'A request that is not valid; `errors` (one, with `field`) when the problem is in one field.',
});
export const InvalidRowsProblem = problemOf('InvalidRowsProblem', 422, ['invalid-rows'], {
  errors: z.array(PayoutFileError).min(1),
  description: 'Row problems, each with its `line`.',
});
export const SplitProblem422 = z
  .union([InvalidRequestProblem, InvalidRowsProblem])
  .openapi('SplitProblem422');
const OverBudgetProblem = problemOf(
  'OverBudgetProblem',
  429,
  ['budget-platform-daily', 'budget-global-hourly'],
  { title: 'Over budget' },
);
const InternalErrorProblem = problemOf('InternalErrorProblem', 500, ['internal-error']);

/** A response answering `schema` as `application/problem+json`. */
export const problem = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/problem+json': { schema } },
});

/** A response shared by many routes: a named component, its problem schema and headers. */
interface SharedResponse {
  description: string;
  schemaName: string;
  schema: z.ZodType;
  headers?: Record<string, { description: string; required: boolean; schema: object }>;
}

const shared = (
  description: string,
  schemaName: string,
  schema: z.ZodType,
  headers?: SharedResponse['headers'],
): SharedResponse => ({ description, schemaName, schema, ...(headers ? { headers } : {}) });

/** The shared responses, registered as components and referred to by name. */
export const RESPONSES = {
  BadRequest: shared(
    'No usable `Idempotency-Key` (`missing-idempotency-key`), or a JSON body that is not valid JSON or not an object (`malformed-json`).',
    'BadRequestProblem',
    BadRequestProblem,
  ),
  Unauthorized: shared(
    'The request is not authenticated; see the `signature` security scheme.',
    'UnauthorizedProblem',
    UnauthorizedProblem,
  ),
  NotFound: shared(
    'No such endpoint (`not-found`); answered for any path not in this document.',
    'NotFoundProblem',
    NotFoundProblem,
  ),
  MethodNotAllowed: shared(
    'The path exists but not with this method (`method-not-allowed`).',
    'MethodNotAllowedProblem',
    MethodNotAllowedProblem,
    {
      Allow: {
        description: 'The methods the path accepts, comma separated.',
        required: true,
        schema: { type: 'string' },
      },
    },
  ),
  IdempotencyConflict: shared(
    'The `Idempotency-Key` was already used for a different request (`idempotency-conflict`).',
    'ConflictProblem',
    ConflictProblem,
  ),
  PayloadTooLarge: shared(
    'The body is larger than the route accepts (`body-too-large`): 16,384 bytes, or 2,097,152 bytes for `POST /v1/payouts`. Checked before authentication.',
    'PayloadTooLargeProblem',
    PayloadTooLargeProblem,
  ),
  OverBudget: shared(
    "Accepting the request would exceed the platform's daily limit (`budget-platform-daily`, resets at 00:00 UTC) or the operator's hourly limit (`budget-global-hourly`). Nothing was enqueued; retry after `Retry-After` seconds.",
    'OverBudgetProblem',
    OverBudgetProblem,
    {
      'Retry-After': {
        description: 'Seconds until the budget that was exceeded resets (at least 1).',
        required: true,
        schema: { type: 'integer', minimum: 1 },
      },
    },
  ),
  InternalError: shared(
    'Tipstream could not handle the request (`internal-error`); retry with the same `Idempotency-Key`.',
    'InternalErrorProblem',
    InternalErrorProblem,
  ),
};

const ref = (name: keyof typeof RESPONSES) => ({ $ref: `#/components/responses/${name}` });

/** The problems every authenticated route may answer. */
export const COMMON_PROBLEMS = {
  401: ref('Unauthorized'),
  413: ref('PayloadTooLarge'),
  500: ref('InternalError'),
};

/** The problems every write route may answer besides the common ones. */
export const WRITE_PROBLEMS = {
  ...COMMON_PROBLEMS,
  400: ref('BadRequest'),
  409: ref('IdempotencyConflict'),
  429: ref('OverBudget'),
};
