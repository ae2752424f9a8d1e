import { createRoute, z } from '@hono/zod-openapi';
import { getBatchStatus } from '../../../shared/app/batch-status.js';
import { BatchStatusSchema } from '../schemas/answers.js';
import { BatchNotFoundProblem, COMMON_PROBLEMS, problem } from '../schemas/problems.js';
import { apiRoute } from './route.js';

export const getPayout = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/payouts/{batchId}',
    tags: ['Batches'],
    operationId: 'getBatch',
    summary: "A payout batch's or split's progress",
    description:
      'Counts and msat totals while `IN_PROGRESS`; once `DONE` (every row SUCCEEDED or FAILED) also every row with its outcome, by line. `INCOMPLETE` while some rows are not recorded: the request that submitted the batch did not finish (or is still running); `incomplete` says how many rows are missing. Retry that request with the same Idempotency-Key and body: the retry records and enqueues only what is missing, and the batch continues as `IN_PROGRESS`.',
    request: {
      params: z.object({
        batchId: z.string().openapi({ description: 'The `batchId` from `202`.' }),
      }),
    },
    responses: {
      200: {
        description: 'The batch.',
        content: { 'application/json': { schema: BatchStatusSchema } },
      },
      ...COMMON_PROBLEMS,
      404: problem(
        'The platform has no batch with this id (`batch-not-found`).',
        BatchNotFoundProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const { platformId } = c.get('platform');
    const status = await getBatchStatus(
      { platformId, batchId: c.req.valid('param').batchId },
      deps,
    );
    return c.json(status, 200);
  },
);
