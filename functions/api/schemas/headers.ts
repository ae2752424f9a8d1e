import { z } from '@hono/zod-openapi';

// Headers and query parameters as the document describes them. Routes read them leniently and
// answer their own problems (400 missing-idempotency-key, a page size raised or lowered to fit).

export const IdempotencyKeyHeader = z.object({
  'Idempotency-Key': z.string().min(1).max(255).openapi({
    description:
      'Unique per request (1-255 characters); a retry reuses it. Missing or longer than 255 characters is `400 missing-idempotency-key`.',
  }),
});

/** The headers of a write's `202`. */
export const WRITTEN = z.object({
  Location: z.string().openapi({
    description: "Where the new tip or batch's status is (a path, the same as `statusUrl`).",
    format: 'uri-reference',
  }),
  'Idempotent-Replayed': z.literal('true').optional().openapi({
    description:
      'Present (`true`) when the request repeats an accepted one with the same `Idempotency-Key`.',
  }),
});

export const PageQuery = z.object({
  limit: z.number().int().min(1).max(100).default(25).openapi({
    description:
      'Page size. Values above 100 are lowered to 100, below 1 raised to 1; anything not a number is 25.',
  }),
  cursor: z.string().optional().openapi({
    description:
      "The cursor from the previous page's `next` (opaque; only for this platform and list).",
  }),
});
