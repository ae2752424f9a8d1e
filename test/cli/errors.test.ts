import { describe, expect, it } from 'vitest';
import { ApiProblemError, exitCodeForStatus } from '../../cli/errors.js';
import { EXIT } from '../../cli/exit-codes.js';

describe('exitCodeForStatus', () => {
  it.each([
    { status: 400, code: EXIT.USAGE },
    { status: 404, code: EXIT.USAGE },
    { status: 409, code: EXIT.USAGE },
    { status: 422, code: EXIT.USAGE },
    { status: 401, code: EXIT.AUTH },
    { status: 429, code: EXIT.BUDGET },
    { status: 500, code: EXIT.UNREACHABLE },
    { status: 503, code: EXIT.UNREACHABLE },
  ])('HTTP $status exits $code', ({ status, code }) => {
    expect(exitCodeForStatus(status)).toBe(code);
  });
});

describe('ApiProblemError', () => {
  it('carries the problem and says what to do', () => {
    const error = new ApiProblemError(401, {
      type: 'https://tipstream.dev/problems/bad-signature',
      title: 'Request not authenticated',
      status: 401,
      detail: 'Tipstream-Signature does not match',
    });
    expect(error.exitCode).toBe(EXIT.AUTH);
    expect(error.slug).toBe('bad-signature');
    expect(error.message).toBe(
      'the API refused the request: 401 Request not authenticated (bad-signature): Tipstream-Signature does not match',
    );
    expect(error.hint).toMatch(/TIPSTREAM_PLATFORM_SECRET/);
  });

  it('falls back to Retry-After for a budget without a known hint', () => {
    const error = new ApiProblemError(429, { title: 'Over budget', detail: 'x' }, 42);
    expect(error.exitCode).toBe(EXIT.BUDGET);
    expect(error.hint).toBe('retry in 42 s');
  });
});
