import { createRoute, z } from '@hono/zod-openapi';
import { listRecipientPayouts } from '../../../shared/app/recipient-payouts.js';
import { RecipientPayoutsSchema } from '../schemas/answers.js';
import { PageQuery } from '../schemas/headers.js';
import { COMMON_PROBLEMS, InvalidRequestProblem, problem } from '../schemas/problems.js';
import { pageLimit } from './answers.js';
import { apiRoute } from './route.js';

export const recipientPayouts = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/recipients/{pubkey}/payouts',
    tags: ['Recipients'],
    operationId: 'listRecipientPayouts',
    summary: "A recipient's settled payouts",
    description:
      "The recipient's settled payouts from this platform, newest first, a page at a time, and this platform's all-time totals for the recipient. Payouts from other platforms are neither listed nor counted. Every page but the last holds exactly `limit` payouts; `next` is present only while more remain. A cursor is good only for the platform and recipient it was handed out for.",
    request: {
      // Any string reaches the use case, which answers 422 naming `pubkey` for one that is no key.
      params: z.object({
        pubkey: z.string().openapi({
          description: "The recipient node's public key (66 hex chars, compressed, on secp256k1).",
          pattern: '^0[23][0-9a-fA-F]{64}$',
        }),
      }),
      query: PageQuery,
    },
    responses: {
      200: {
        description: 'One page of payouts.',
        content: { 'application/json': { schema: RecipientPayoutsSchema } },
      },
      ...COMMON_PROBLEMS,
      422: problem(
        'The pubkey is not a valid node public key, or the cursor is not one this API returned for this platform and recipient (`invalid-request`, `errors[0].field` = `pubkey` or `cursor`).',
        InvalidRequestProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const page = await listRecipientPayouts(
      {
        platformId: c.get('platform').platformId,
        pubkey: c.req.valid('param').pubkey,
        limit: pageLimit(c.req.query('limit')),
        cursor: c.req.query('cursor'),
      },
      deps,
    );
    return c.json(page, 200);
  },
);
