import { createRoute } from '@hono/zod-openapi';
import { listTips as listPlatformTips } from '../../../shared/app/list-tips.js';
import { TipListSchema } from '../schemas/answers.js';
import { PageQuery } from '../schemas/headers.js';
import { COMMON_PROBLEMS, InvalidRequestProblem, problem } from '../schemas/problems.js';
import { pageLimit } from './answers.js';
import { apiRoute } from './route.js';

export const listTips = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/tips',
    tags: ['Tips', 'Platform'],
    operationId: 'listTips',
    summary: "The platform's recent tips",
    description:
      "The platform's tips, newest first (by the time the payer recorded them), a page at a time (follow `next`): single tips, split parts and payout rows alike, with their status, failure reason, and `statusUrl` for the full status and signed receipt. A tip appears once the payer has recorded it (a tip still `ACCEPTED` is not listed yet).",
    request: { query: PageQuery },
    responses: {
      200: {
        description: 'One page of tips.',
        content: { 'application/json': { schema: TipListSchema } },
      },
      ...COMMON_PROBLEMS,
      422: problem(
        'The cursor is not one this API returned for this platform (`invalid-request`, `errors[0].field` = `cursor`).',
        InvalidRequestProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const page = await listPlatformTips(
      {
        platformId: c.get('platform').platformId,
        limit: pageLimit(c.req.query('limit')),
        cursor: c.req.query('cursor'),
      },
      deps,
    );
    return c.json(page, 200);
  },
);
