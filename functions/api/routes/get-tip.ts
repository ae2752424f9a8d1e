import { createRoute, z } from '@hono/zod-openapi';
import { getTipStatus } from '../../../shared/app/tip-status.js';
import { TipStatusSchema } from '../schemas/answers.js';
import { COMMON_PROBLEMS, problem, TipNotFoundProblem } from '../schemas/problems.js';
import { apiRoute } from './route.js';

export const getTip = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/tips/{tipId}',
    tags: ['Tips'],
    operationId: 'getTip',
    summary: "A tip's status",
    description:
      '`ACCEPTED` until the payer has recorded the tip, then `RECEIVED`, `SENDING`, and finally `SUCCEEDED` (with the signed `receipt`) or `FAILED` (with `failure`). Works for the tips of batches too (their ids are `<batchId>-<line>`).',
    request: {
      params: z.object({
        tipId: z
          .string()
          .openapi({ description: 'The tip id from `202` (URL-encode it; it contains `:`).' }),
      }),
    },
    responses: {
      200: {
        description: 'The tip.',
        content: { 'application/json': { schema: TipStatusSchema } },
      },
      ...COMMON_PROBLEMS,
      404: problem('The platform has no tip with this id (`tip-not-found`).', TipNotFoundProblem),
    },
  }),
  (deps) => async (c) => {
    const { platformId } = c.get('platform');
    const status = await getTipStatus({ platformId, tipId: c.req.valid('param').tipId }, deps);
    return c.json(status, 200);
  },
);
