import { createRoute, z } from '@hono/zod-openapi';
import { acceptPayout } from '../../../shared/app/accept-payout.js';
import { PayoutAcceptedSchema } from '../schemas/answers.js';
import { IdempotencyKeyHeader, WRITTEN } from '../schemas/headers.js';
import { InvalidRowsProblem, problem, WRITE_PROBLEMS } from '../schemas/problems.js';
import { PayoutCsv, PayoutFileJson } from '../schemas/requests.js';
import { acceptedBatch, batchAnswer, parseJsonObject, requireIdempotencyKey } from './answers.js';
import { apiRoute } from './route.js';

export const postPayout = apiRoute(
  createRoute({
    method: 'post',
    path: '/v1/payouts',
    tags: ['Batches'],
    operationId: 'createPayout',
    summary: 'Pay a payout file (CSV or JSON)',
    description:
      'Pays many creators in one batch. Every row is validated first and every problem is reported with its line (`422`, nothing enqueued) unless `allowPartial` is set, in which case the valid rows are paid and the bad ones are listed in `skipped` (a file whose rows are all bad is still `422`). A body whose `Content-Type` starts with `text/csv` is read as CSV; any other body is read as JSON. At most 10,000 rows and 2 MiB.',
    request: {
      headers: IdempotencyKeyHeader,
      query: z.object({
        allowPartial: z.boolean().default(false).openapi({
          description:
            'Pay the valid rows and skip the bad ones. Only the exact value `true` enables it.',
        }),
      }),
      body: {
        required: true,
        content: {
          'text/csv': { schema: PayoutCsv },
          'application/json': { schema: PayoutFileJson },
        },
      },
    },
    responses: {
      202: {
        description: 'Accepted; every (valid) row is enqueued as a tip.',
        headers: WRITTEN,
        content: { 'application/json': { schema: PayoutAcceptedSchema } },
      },
      ...WRITE_PROBLEMS,
      422: problem(
        'Rows are not valid (`invalid-rows`): every problem with its `line` (the 1-based CSV line, or the 1-based index in `payouts`; `0` for the file as a whole). Nothing was enqueued.',
        InvalidRowsProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.header('idempotency-key'));
    const rawBody = c.get('rawBody');
    // A body whose Content-Type starts with text/csv is CSV; any other body is read as JSON.
    const file = (c.req.header('content-type') ?? '').startsWith('text/csv')
      ? { csv: rawBody }
      : { json: parseJsonObject(rawBody) };
    const { result, skipped } = await acceptPayout(
      {
        platform: c.get('platform'),
        idempotencyKey,
        file,
        allowPartial: c.req.query('allowPartial') === 'true',
      },
      deps,
    );
    const answer = batchAnswer(acceptedBatch(result));
    return c.json(
      { ...answer.body, ...(skipped.length > 0 ? { skipped } : {}) },
      202,
      answer.headers,
    );
  },
);
