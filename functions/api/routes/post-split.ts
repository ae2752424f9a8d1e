import { createRoute } from '@hono/zod-openapi';
import { acceptSplit } from '../../../shared/app/accept-split.js';
import { SplitAcceptedSchema } from '../schemas/answers.js';
import { IdempotencyKeyHeader, WRITTEN } from '../schemas/headers.js';
import { problem, SplitProblem422, WRITE_PROBLEMS } from '../schemas/problems.js';
import { SplitRequest } from '../schemas/requests.js';
import { acceptedBatch, batchAnswer, parseJsonObject, requireIdempotencyKey } from './answers.js';
import { apiRoute } from './route.js';

export const postSplit = apiRoute(
  createRoute({
    method: 'post',
    path: '/v1/splits',
    tags: ['Batches'],
    operationId: 'createSplit',
    summary: 'Split one payment across recipients (podcast:value)',
    description:
      "Splits `amountMsat` across the recipients of a podcast:value block (XML or JSON) or of a plain `recipients` list, as the podcast:value spec says: `fee: true` recipients take their `split` percent off the top, the rest is shared in the ratio of the other splits (largest remainder, so the parts add up to the total). Without msat payments (the default) the split is made in whole sats. Parts below `minPartMsat` are not paid (`belowMinimum`). Every paid part carries a bLIP-10 boostagram with the whole `value_msat_total`, `message` and the recipient's `name`. The parts become one batch (`GET /v1/payouts/{batchId}`).",
    request: {
      headers: IdempotencyKeyHeader,
      body: { required: true, content: { 'application/json': { schema: SplitRequest } } },
    },
    responses: {
      202: {
        description: 'Accepted; every payable part is enqueued as a tip.',
        headers: WRITTEN,
        content: { 'application/json': { schema: SplitAcceptedSchema } },
      },
      ...WRITE_PROBLEMS,
      422: problem(
        'The request is not valid (`invalid-request`: unknown fields, a bad value block or recipient list, a bad amount), or a part is not a valid tip (`invalid-rows`, with `errors[].line` = part index + 1, e.g. an unknown `boostagram` field).',
        SplitProblem422,
      ),
    },
  }),
  (deps) => async (c) => {
    const idempotencyKey = requireIdempotencyKey(c.req.header('idempotency-key'));
    const body = parseJsonObject(c.get('rawBody'));
    const { result, parts, belowMinimum } = await acceptSplit(
      { platform: c.get('platform'), idempotencyKey, body },
      deps,
    );
    const answer = batchAnswer(acceptedBatch(result));
    return c.json({ ...answer.body, parts, belowMinimum }, 202, answer.headers);
  },
);
