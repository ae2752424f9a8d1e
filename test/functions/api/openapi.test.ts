import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../../functions/api/routes/index.js';
import { openApiFileText } from '../../../functions/api/write-openapi.js';
import {
  ajv,
  document,
  expectConforms,
  follow,
  operations,
  pointerOf,
  validatorAt,
} from '../../support/openapi-conformance.js';

describe('the generated OpenAPI document', () => {
  it('is the checked-in openapi.json (run `npm run openapi` after changing a route or schema)', () => {
    const checkedIn = readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8');
    expect(
      checkedIn === openApiFileText(),
      'openapi.json differs from the generated document',
    ).toBe(true);
  });

  it('is OpenAPI 3.1 and documents exactly the routes the API serves', () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const documented = operations()
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    expect(documented).toEqual([...ROUTE_KEYS].sort());
  });

  it('has component schemas that are valid JSON Schema 2020-12 and compile', () => {
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      expect(ajv.validateSchema(schema), `${name}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
      expect(() => validatorAt(pointerOf('components', 'schemas', name)), name).not.toThrow();
    }
  });

  it('validates for real: bodies the document forbids fail (so conformance is not vacuous)', () => {
    const schema = (name: string) => validatorAt(pointerOf('components', 'schemas', name));
    const tipAccepted = { tipId: 'p:abc', status: 'ACCEPTED', statusUrl: '/v1/tips/p%3Aabc' };
    expect(schema('TipAccepted')(tipAccepted)).toBe(true);
    expect(schema('TipAccepted')({ ...tipAccepted, extra: 1 })).toBe(false);
    expect(schema('TipAccepted')({ tipId: 'p:abc', status: 'ACCEPTED' })).toBe(false);
    const tip = { tipId: 'p:abc', status: 'SUCCEEDED', amountMsat: '1000', attempts: 1 };
    expect(schema('TipStatus')({ ...tip, status: 'SENDING' })).toBe(true);
    expect(schema('TipStatus')(tip)).toBe(false); // SUCCEEDED needs its receipt
    expect(schema('TipStatus')({ ...tip, status: 'SENDING', amountMsat: 1000 })).toBe(false);
    expect(schema('MsatString')('01')).toBe(false);
    const problem = {
      type: 'https://tipstream.dev/problems/x',
      title: 't',
      status: 422,
      detail: 'd',
    };
    expect(schema('Problem')(problem)).toBe(true);
    expect(schema('Problem')({ ...problem, errors: [{ line: 1 }] })).toBe(false);
    expect(schema('InvalidRowsProblem')(problem)).toBe(false);
    const batch = {
      batchId: `p-${'0'.repeat(40)}`,
      kind: 'payout',
      status: 'DONE',
      acceptedAt: '2026-01-01T00:00:00.000Z',
      counts: { total: 0, succeeded: 0, failed: 0, pending: 0 },
      msat: { total: '0', succeeded: '0', failed: '0', pending: '0', fees: '0' },
    };
    expect(schema('BatchStatus')({ ...batch, rows: [] })).toBe(true);
    expect(schema('BatchStatus')(batch)).toBe(false); // DONE lists its rows
    expect(schema('BatchStatus')({ ...batch, acceptedAt: 'yesterday', rows: [] })).toBe(false);
    const accepted = {
      batchId: batch.batchId,
      status: 'ACCEPTED',
      rows: 1,
      totalMsat: '1000',
      statusUrl: '/v1/payouts/x',
    };
    expect(schema('PayoutAccepted')(accepted)).toBe(true);
    expect(schema('PayoutAccepted')({ ...accepted, parts: [] })).toBe(false);
    expect(schema('SplitAccepted')(accepted)).toBe(false);

    const response = (status: number, headers: Record<string, string>, body: unknown) => ({
      status,
      headers: new Headers(headers),
      body,
    });
    const json = { 'content-type': 'application/json', location: tipAccepted.statusUrl };
    expect(expectConforms('POST', '/v1/tips', response(202, json, tipAccepted))).toEqual(
      tipAccepted,
    );
    expect(() => expectConforms('POST', '/v1/tips', response(200, json, tipAccepted))).toThrow(
      /declares the status/,
    );
    expect(() =>
      expectConforms('POST', '/v1/tips', response(202, { location: 'x' }, tipAccepted)),
    ).toThrow(/content type/);
    expect(() =>
      expectConforms(
        'POST',
        '/v1/tips',
        response(202, { 'content-type': 'application/json' }, tipAccepted),
      ),
    ).toThrow(/Location is required/);
    expect(() =>
      expectConforms(
        'POST',
        '/v1/tips',
        response(
          429,
          { 'content-type': 'application/problem+json' },
          {
            ...problem,
            type: 'https://tipstream.dev/problems/budget-platform-daily',
            title: 'Over budget',
            status: 429,
          },
        ),
      ),
    ).toThrow(/Retry-After is required/);
  });

  it('declares every path parameter, JSON for 2xx, problem+json for every error, and compiles them', () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const parameters = (operation.parameters ?? []).map(
        (parameter) => follow(parameter, '').value,
      );
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect(
          parameters.some((p) => p.in === 'path' && p.name === name && p.required),
          `${where}: path parameter ${name}`,
        ).toBe(true);
      }
      if (method === 'post') {
        expect(
          parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key' && p.required),
          `${where}: Idempotency-Key`,
        ).toBe(true);
      }
      for (const [status, raw] of Object.entries(operation.responses)) {
        const { value, pointer } = follow(
          raw,
          pointerOf('paths', path, method, 'responses', status),
        );
        const types = Object.keys(value.content ?? {});
        expect(types, `${where} ${status}`).toEqual(
          status.startsWith('2') ? ['application/json'] : ['application/problem+json'],
        );
        for (const type of types) {
          expect(() =>
            validatorAt(`${pointer}${pointerOf('content', type, 'schema')}`),
          ).not.toThrow();
        }
      }
      for (const status of ['401', '413', '500']) {
        expect(Object.keys(operation.responses), `${where}`).toContain(status);
      }
    }
  });
});
