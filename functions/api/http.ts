import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** RFC 9457 problem details: every error says what went wrong and what to fix. */
export interface Problem {
  status: number;
  /** Short stable slug, e.g. `invalid-signature`; becomes the `type` URI. */
  type: string;
  title: string;
  detail: string;
  /** Field or line level errors (payout rows, validation). */
  errors?: Array<{ field?: string; line?: number; message: string }>;
  headers?: Record<string, string>;
}

const PROBLEM_TYPE_BASE = 'https://tipstream.dev/problems/';

export const problem = (p: Problem): APIGatewayProxyStructuredResultV2 => ({
  statusCode: p.status,
  headers: { 'content-type': 'application/problem+json', ...p.headers },
  body: JSON.stringify({
    type: `${PROBLEM_TYPE_BASE}${p.type}`,
    title: p.title,
    status: p.status,
    detail: p.detail,
    ...(p.errors ? { errors: p.errors } : {}),
  }),
});

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  ),
});

/** Thrown inside a route to answer with a problem. */
export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}
