import { createRoute, z } from '@hono/zod-openapi';
import { summarizePlatform } from '../../../shared/app/platform-summary.js';
import { PlatformSummarySchema } from '../schemas/answers.js';
import { COMMON_PROBLEMS, InvalidRequestProblem, problem } from '../schemas/problems.js';
import { withBigintsAsStrings } from './answers.js';
import { apiRoute } from './route.js';

export const summary = apiRoute(
  createRoute({
    method: 'get',
    path: '/v1/summary',
    tags: ['Platform'],
    operationId: 'getSummary',
    summary: "The platform's payouts over a window (dashboard figures)",
    description:
      'Everything a payouts dashboard shows, for the tips the platform sent in a bounded window (`24h` in hour buckets, `7d` or `30d` in day buckets, UTC-aligned, ending now): totals by outcome, totals per recipient (most paid first, at most 50; `recipientCount` says how many there are), sats paid per bucket by settle time (every bucket present, zeros included), the 20 latest failures with their reasons, the batches accepted in the window that are still running, with their progress, and the budget used today. A window with more than 100,000 tips is summarised from the first 100,000 read (`truncated: true`).',
    request: {
      query: z.object({
        window: z
          .enum(['24h', '7d', '30d'])
          .default('24h')
          .openapi({ description: 'The window to summarise.' }),
      }),
    },
    responses: {
      200: {
        description: 'The summary.',
        content: { 'application/json': { schema: PlatformSummarySchema } },
      },
      ...COMMON_PROBLEMS,
      422: problem(
        'The window is not one of `24h`, `7d`, `30d` (`invalid-request`, `errors[0].field` = `window`).',
        InvalidRequestProblem,
      ),
    },
  }),
  (deps) => async (c) => {
    const result = await summarizePlatform(
      { platform: c.get('platform'), window: c.req.query('window') },
      deps,
    );
    return c.json(withBigintsAsStrings(result), 200);
  },
);
