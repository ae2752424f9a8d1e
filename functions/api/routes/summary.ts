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
      'Everything a payouts dashboard shows for a bounded window (`24h` in hour buckets, `7d` or `30d` in day buckets, UTC-aligned, ending now): tips paid and failed in it and sats paid per bucket by settle time (every bucket present, zeros included), from hourly counters the payer keeps with every payment, so exact at any volume; per recipient (most paid first, at most 50; `recipientCount` says how many there are), the 20 latest failures with their reasons and the tips still pending, from the newest 1,000 tips of the window (`truncated: true` when it has more); the batches accepted in the window that are still running, with their progress; and the budget used today.',
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
