import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { ROUTES } from '../../functions/api/routes.js';
import { startLocalService } from '../../infra/local/emulators/service.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createDynamoPlatformStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { LOCAL_TABLE_NAMES } from '../../shared/adapters/dynamodb/tables.js';
import { createPlatform } from '../../shared/app/platforms.js';
import { stackNode } from '../../shared/config/stack-file.js';
import { signedHeaders } from '../../shared/domain/request-signature.js';
import { apiClient, createTestQueue, type StackClients, stackClients } from './helpers.js';

/**
 * Contract test: openapi.yaml against the real handler on the real local stack. Every response is
 * checked for a declared status, a declared content type, its declared headers and its schema.
 */

const stack = inject('stack');

// ---------------------------------------------------------------------------------- the document

interface SchemaRef {
  $ref?: string;
  [keyword: string]: unknown;
}
interface HeaderObject {
  $ref?: string;
  required?: boolean;
  schema?: SchemaRef;
}
interface ResponseObject {
  $ref?: string;
  description?: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema?: SchemaRef }>;
}
interface Operation {
  parameters?: Array<{ $ref?: string; name?: string; in?: string; required?: boolean }>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: SchemaRef }> };
  responses: Record<string, ResponseObject>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, SchemaRef>;
    responses: Record<string, ResponseObject>;
    headers: Record<string, HeaderObject>;
    parameters: Record<string, { name: string; in: string; required?: boolean }>;
  };
}

const DOCUMENT_ID = 'https://tipstream.dev/openapi.yaml';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const document = parse(
  readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'),
) as OpenApiDocument;

// Both are CommonJS: Node's default import is module.exports, typed as the module's namespace.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
// OpenAPI 3.1 schemas are JSON Schema 2020-12; the document around them (openapi, info, paths…)
// is not, so strict mode is off and the whole document is registered for `$ref`s into it.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

const escapePointer = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1');
const pointerOf = (...parts: string[]) => parts.map((part) => `/${escapePointer(part)}`).join('');

const at = (pointer: string): unknown =>
  pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, key) =>
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[key]
          : undefined,
      document,
    );

/** Follows an OpenAPI (non-schema) `$ref` within the document; returns the object and its pointer. */
const follow = <T extends { $ref?: string }>(
  value: T,
  pointer: string,
): { value: T; pointer: string } => {
  let current = value;
  let currentPointer = pointer;
  while (current.$ref) {
    expect(current.$ref, `${currentPointer}: only local refs are used`).toMatch(/^#\//);
    currentPointer = current.$ref.slice(1);
    current = at(currentPointer) as T;
    expect(current, `${currentPointer} exists`).toBeDefined();
  }
  return { value: current, pointer: currentPointer };
};

const validators = new Map<string, ReturnType<typeof ajv.compile>>();
/** The validator of the schema at `pointer` (a JSON pointer into the document). */
const validatorAt = (pointer: string) => {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
};

const expectValid = (pointer: string, value: unknown, context: string) => {
  const validate = validatorAt(pointer);
  const valid = validate(value);
  expect(
    valid,
    `${context}: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(value, null, 2).slice(0, 2_000)}`,
  ).toBe(true);
};

interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * Checks a response against the document: for `method pathTemplate`, the status is one the
 * operation declares, the content type is one declared for that status, required headers are
 * present and every declared header and the body validate. A path that is not in the document
 * must answer `components/responses/NotFound`, a documented path with an undocumented method
 * `components/responses/MethodNotAllowed` (whose `Allow` must list the documented methods).
 */
const expectConforms = <T = Record<string, unknown>>(
  method: string,
  pathTemplate: string,
  response: ApiResponse,
): T => {
  const context = `${method} ${pathTemplate} → ${response.status}`;
  const pathItem = document.paths[pathTemplate];
  const operation = pathItem?.[method.toLowerCase()];
  let declared: { value: ResponseObject; pointer: string };
  if (!pathItem) {
    expect(response.status, `${context}: an undocumented path`).toBe(404);
    declared = follow({ $ref: '#/components/responses/NotFound' }, '');
  } else if (!operation) {
    expect(response.status, `${context}: an undocumented method`).toBe(405);
    declared = follow({ $ref: '#/components/responses/MethodNotAllowed' }, '');
    const documented = Object.keys(pathItem)
      .filter((key) => HTTP_METHODS.includes(key))
      .map((key) => key.toUpperCase())
      .sort();
    expect(response.headers.get('allow')?.split(/,\s*/).sort(), `${context}: Allow`).toEqual(
      documented,
    );
  } else {
    const statuses = Object.keys(operation.responses);
    expect(statuses, `${context}: the operation declares the status`).toContain(
      String(response.status),
    );
    const status = String(response.status);
    const responseObject = operation.responses[status] as ResponseObject;
    declared = follow(
      responseObject,
      pointerOf('paths', pathTemplate, method.toLowerCase(), 'responses', status),
    );
  }

  for (const [name, header] of Object.entries(declared.value.headers ?? {})) {
    const resolved = follow(header, `${declared.pointer}${pointerOf('headers', name)}`);
    const raw = response.headers.get(name);
    if (raw === null) {
      expect(resolved.value.required ?? false, `${context}: header ${name} is required`).toBe(
        false,
      );
      continue;
    }
    const type = (resolved.value.schema as { type?: string } | undefined)?.type;
    const value = type === 'integer' || type === 'number' ? Number(raw) : raw;
    expectValid(`${resolved.pointer}/schema`, value, `${context}: header ${name}`);
  }

  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const content = declared.value.content ?? {};
  expect(Object.keys(content), `${context}: content type`).toContain(contentType);
  expectValid(
    `${declared.pointer}${pointerOf('content', contentType, 'schema')}`,
    response.body,
    `${context}: body`,
  );
  return response.body as T;
};

/** Whether `body` (sent as `contentType`) is what the document says `method pathTemplate` takes. */
const requestConforms = (
  method: string,
  pathTemplate: string,
  body: unknown,
  contentType = 'application/json',
) => {
  const operation = document.paths[pathTemplate]?.[method.toLowerCase()];
  expect(operation?.requestBody?.content, `${method} ${pathTemplate} takes a body`).toBeDefined();
  expect(Object.keys(operation?.requestBody?.content ?? {})).toContain(contentType);
  const validate = validatorAt(
    pointerOf(
      'paths',
      pathTemplate,
      method.toLowerCase(),
      'requestBody',
      'content',
      contentType,
      'schema',
    ),
  );
  return validate(body) === true;
};

// ------------------------------------------------------------------------- response body types

interface TipAccepted {
  tipId: string;
  status: 'ACCEPTED';
  statusUrl: string;
}
interface TipStatus {
  tipId: string;
  status: string;
  amountMsat: string;
  receipt?: { receipt: { amountMsat: string; paymentHash: string } };
}
interface BatchAccepted {
  batchId: string;
  rows: number;
  totalMsat: string;
  statusUrl: string;
  skipped?: Array<{ line: number; message: string }>;
  parts?: Array<{ tipId: string; amountMsat: string }>;
}
interface BatchStatus {
  status: 'IN_PROGRESS' | 'DONE';
  kind: string;
  counts: { total: number; succeeded: number };
  rows?: Array<{ line: number; status: string; tipId: string }>;
}
interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: Array<{ field?: string; line?: number; message: string }>;
}
interface TipList {
  tips: Array<{ tipId: string; status: string; statusUrl: string }>;
  next?: string;
}
interface Summary {
  window: { name: string; bucket: string };
  totals: { tips: number; succeeded: { count: number; msat: string } };
  series: Array<{ paidMsat: string }>;
}
interface RecipientPayouts {
  recipient: string;
  payouts: Array<{ tipId: string }>;
  next?: string;
}

// ------------------------------------------------------------------------------------ the tests

describe('openapi.yaml', () => {
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => HTTP_METHODS.includes(key))
        .map((method) => ({ method, path, operation: item[method] as Operation })),
    );

  it('is OpenAPI 3.1 and documents exactly the routes the API serves (ROUTES)', () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const documented = operations()
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    expect(documented).toEqual([...ROUTES].sort());
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

describe.runIf(stack.lightning.network === 'regtest')(
  'the API conforms to openapi.yaml on the real stack',
  () => {
    let clients: StackClients;
    let service: Awaited<ReturnType<typeof startLocalService>>;
    let baseUrl: string;
    let platform: { platformId: string; secret: string };
    let call: ReturnType<typeof apiClient>;
    const carol = () => stackNode(stack, 'carol').pubkey;
    const dave = () => stackNode(stack, 'dave').pubkey;
    const now = () => Math.floor(Date.now() / 1000);

    /** A request with exactly the headers given (and a body as sent), for what apiClient cannot send. */
    const send = async (
      method: string,
      path: string,
      { rawBody, headers = {} }: { rawBody?: string; headers?: Record<string, string> } = {},
    ): Promise<ApiResponse> => {
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body: rawBody });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    };
    /** Headers of a POST /v1/tips signed for `rawBody` and a new Idempotency-Key (`null`: none). */
    const signed = (
      rawBody: string,
      options: { timestamp?: number; secret?: string; idempotencyKey?: string | null } = {},
    ) => ({
      'content-type': 'application/json',
      ...signedHeaders({
        secret: options.secret ?? platform.secret,
        platformId: platform.platformId,
        method: 'POST',
        url: '/v1/tips',
        idempotencyKey:
          options.idempotencyKey === null ? undefined : (options.idempotencyKey ?? randomUUID()),
        body: rawBody,
        ...(options.timestamp === undefined ? {} : { now: new Date(options.timestamp * 1000) }),
      }),
    });

    const newPlatform = async (dailyLimitSats: number) => {
      const store = createDynamoPlatformStore(clients.dynamodb, LOCAL_TABLE_NAMES);
      const { platform: created, secret } = await createPlatform(store, {
        platformId: `it-oas-${randomUUID().slice(0, 8)}`,
        dailyLimitSats,
      });
      return { platformId: created.platformId, secret };
    };

    const getTip = async (tipId: string) =>
      expectConforms<TipStatus>(
        'GET',
        '/v1/tips/{tipId}',
        await call('GET', `/v1/tips/${encodeURIComponent(tipId)}`),
      );
    const waitForTip = (tipId: string) =>
      waitFor(
        `tip ${tipId} to finish`,
        async () => {
          const tip = await getTip(tipId);
          return ['SUCCEEDED', 'FAILED'].includes(tip.status) ? tip : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    const getBatch = async (batchId: string) =>
      expectConforms<BatchStatus>(
        'GET',
        '/v1/payouts/{batchId}',
        await call('GET', `/v1/payouts/${encodeURIComponent(batchId)}`),
      );
    const waitForBatch = (batchId: string) =>
      waitFor(
        `batch ${batchId} to finish`,
        async () => {
          const batch = await getBatch(batchId);
          return batch.status === 'DONE' ? batch : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );

    beforeAll(async () => {
      clients = await stackClients(stack);
      const { queueUrl } = await createTestQueue(clients, 'openapi-contract');
      service = await startLocalService(stack, {
        queueUrl,
        reconcileEveryMs: 0,
        apiPort: 0,
        env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
      });
      baseUrl = service.api?.url ?? '';
      platform = await newPlatform(10_000_000);
      call = apiClient(baseUrl, platform);
    });
    afterAll(async () => {
      await service?.stop();
      clients?.destroy();
    });

    describe('POST /v1/tips and GET /v1/tips/{tipId}', () => {
      it('accepts a tip (202), reports it while in flight and once SUCCEEDED with a receipt (200)', async () => {
        const body = { recipientPubkey: carol(), amountMsat: 12_000, message: 'contract test' };
        expect(requestConforms('POST', '/v1/tips', body)).toBe(true);
        const key = randomUUID();
        const response = await call('POST', '/v1/tips', body, { idempotencyKey: key });
        const accepted = expectConforms<TipAccepted>('POST', '/v1/tips', response);
        expect(response.status).toBe(202);
        expect(response.headers.get('location')).toBe(accepted.statusUrl);
        expect(response.headers.get('idempotent-replayed')).toBeNull();

        const replayed = await call('POST', '/v1/tips', body, { idempotencyKey: key });
        expect(expectConforms('POST', '/v1/tips', replayed)).toEqual(accepted);
        expect(replayed.headers.get('idempotent-replayed')).toBe('true');

        const inFlight = await getTip(accepted.tipId);
        expect(inFlight.amountMsat).toBe('12000');

        const done = await waitForTip(accepted.tipId);
        expect(done.status).toBe('SUCCEEDED');
        expect(done.receipt?.receipt.amountMsat).toBe('12000');
      });

      it('answers an Idempotency-Key reused with another tip with 409', async () => {
        const key = randomUUID();
        const first = await call(
          'POST',
          '/v1/tips',
          { recipientPubkey: carol(), amountMsat: 1_000, message: 'first' },
          { idempotencyKey: key },
        );
        expect(first.status).toBe(202);
        const conflict = await call(
          'POST',
          '/v1/tips',
          { recipientPubkey: carol(), amountMsat: 2_000, message: 'first' },
          { idempotencyKey: key },
        );
        expect(conflict.status).toBe(409);
        expect(expectConforms<Problem>('POST', '/v1/tips', conflict).type).toMatch(
          /idempotency-conflict$/,
        );
        await waitForTip(String(first.body.tipId));
      });

      it.each([
        { why: 'amount 0', body: { amountMsat: 0 }, type: 'invalid-tip', documented: false },
        { why: 'an unknown field', body: { tipAmount: 5 }, type: 'invalid-tip', documented: false },
        {
          why: 'tipId in the body',
          body: { tipId: 'mine' },
          type: 'invalid-tip',
          documented: false,
        },
        {
          why: 'an unknown boostagram field',
          body: { boostagram: { action: 'boost', colour: 'red' } },
          type: 'invalid-tip',
          documented: false,
        },
        {
          why: 'a fraction of a sat',
          body: { amountMsat: 1_500 },
          type: 'invalid-tip',
          // The multiple-of-1000 rule is operator policy (TIPSTREAM_ALLOW_MSAT): only described.
          documented: true,
        },
        {
          why: 'an amount above the per-tip maximum',
          body: { amountMsat: '2000000000000' },
          type: 'budget-per-tip',
          documented: true,
        },
      ])('refuses $why with 422 $type', async ({ body, type, documented }) => {
        const tip = { recipientPubkey: carol(), amountMsat: 1_000, ...body };
        expect(requestConforms('POST', '/v1/tips', tip)).toBe(documented);
        const response = await call('POST', '/v1/tips', tip);
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/tips', response);
        expect(problem.type).toBe(`https://tipstream.dev/problems/${type}`);
      });

      it('answers 400 without an Idempotency-Key and for malformed JSON', async () => {
        const rawBody = JSON.stringify({ recipientPubkey: carol(), amountMsat: 1_000 });
        const noKey = await send('POST', '/v1/tips', {
          rawBody,
          headers: signed(rawBody, { idempotencyKey: null }),
        });
        expect(noKey.status).toBe(400);
        expect(expectConforms<Problem>('POST', '/v1/tips', noKey).type).toMatch(
          /missing-idempotency-key$/,
        );

        const broken = await call('POST', '/v1/tips', '{"recipientPubkey": ');
        expect(broken.status).toBe(400);
        expect(expectConforms<Problem>('POST', '/v1/tips', broken).type).toMatch(/malformed-json$/);
      });

      it('answers 401 to unsigned, wrongly signed, stale, malformed, v1, unknown-platform and re-keyed requests', async () => {
        const rawBody = JSON.stringify({ recipientPubkey: carol(), amountMsat: 1_000 });
        const unsigned = await fetch(`${baseUrl}/v1/tips`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'tipstream-platform': platform.platformId,
            'idempotency-key': randomUUID(),
          },
          body: rawBody,
        });
        const unsignedResponse = {
          status: unsigned.status,
          headers: unsigned.headers,
          body: await unsigned.json(),
        };
        expect(unsignedResponse.status).toBe(401);
        expect(expectConforms<Problem>('POST', '/v1/tips', unsignedResponse).type).toMatch(
          /missing-signature$/,
        );

        const cases: Array<{ headers: Record<string, string>; type: string }> = [
          {
            headers: signed(rawBody, { secret: 'tss_not-the-platform-secret-0123456789' }),
            type: 'bad-signature',
          },
          { headers: signed(rawBody, { timestamp: now() - 600 }), type: 'stale-timestamp' },
          {
            headers: { ...signed(rawBody), 'tipstream-signature': 't=1' },
            type: 'malformed-signature',
          },
          {
            headers: {
              ...signed(rawBody),
              'tipstream-signature': `t=${now()},v1=${'0'.repeat(64)}`,
            },
            type: 'malformed-signature',
          },
          {
            // The same answer as a wrong secret: platform ids are not learnt unsigned.
            headers: { ...signed(rawBody), 'tipstream-platform': 'nobody-here' },
            type: 'bad-signature',
          },
          {
            headers: Object.fromEntries(
              Object.entries(signed(rawBody)).filter(([name]) => name !== 'tipstream-platform'),
            ),
            type: 'missing-platform',
          },
        ];
        for (const { headers, type } of cases) {
          const response = await send('POST', '/v1/tips', { rawBody, headers });
          expect(response.status, type).toBe(401);
          expect(expectConforms<Problem>('POST', '/v1/tips', response).type).toMatch(
            new RegExp(`/${type}$`),
          );
        }

        // A captured request sent again with another Idempotency-Key: the key is signed.
        const replayBody = JSON.stringify({
          recipientPubkey: carol(),
          amountMsat: 1_000,
          message: `replay ${randomUUID()}`,
        });
        const headers = signed(replayBody);
        const first = await send('POST', '/v1/tips', { rawBody: replayBody, headers });
        expectConforms('POST', '/v1/tips', first);
        const replay = await send('POST', '/v1/tips', {
          rawBody: replayBody,
          headers: { ...headers, 'idempotency-key': randomUUID() },
        });
        expect(replay.status).toBe(401);
        expect(expectConforms<Problem>('POST', '/v1/tips', replay).type).toMatch(/bad-signature$/);

        const unsignedRead = await send('GET', '/v1/tips/anything', {
          headers: { 'tipstream-platform': platform.platformId },
        });
        expect(unsignedRead.status).toBe(401);
        expectConforms('GET', '/v1/tips/{tipId}', unsignedRead);
        await waitForTip(String((first.body as TipAccepted).tipId));
      });

      it('answers 413 to an oversized body and 429 over the daily budget (with Retry-After)', async () => {
        const big = await call('POST', '/v1/tips', {
          recipientPubkey: carol(),
          amountMsat: 1_000,
          message: 'x'.repeat(20_000),
        });
        expect(big.status).toBe(413);
        expectConforms('POST', '/v1/tips', big);

        const tight = await newPlatform(10);
        const tightCall = apiClient(baseUrl, tight);
        const over = await tightCall('POST', '/v1/tips', {
          recipientPubkey: carol(),
          amountMsat: 20_000,
        });
        expect(over.status).toBe(429);
        expect(expectConforms<Problem>('POST', '/v1/tips', over).type).toMatch(
          /budget-platform-daily$/,
        );
        expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      });

      it('answers 404 for a tip the platform does not have', async () => {
        const response = await call('GET', `/v1/tips/${encodeURIComponent('nobody:0000')}`);
        expect(response.status).toBe(404);
        expect(expectConforms<Problem>('GET', '/v1/tips/{tipId}', response).type).toMatch(
          /tip-not-found$/,
        );
      });
    });

    describe('routing', () => {
      it('answers 404 for an unknown route, signed or not', async () => {
        const signedResponse = await call('GET', '/v1/nothing-here');
        expect(signedResponse.status).toBe(404);
        expectConforms('GET', '/v1/nothing-here', signedResponse);
        const unsigned = await send('POST', '/v2/tips', { rawBody: '{}' });
        expect(unsigned.status).toBe(404);
        expectConforms('POST', '/v2/tips', unsigned);
      });

      it.each([
        { method: 'DELETE', path: '/v1/tips', template: '/v1/tips' },
        { method: 'PATCH', path: '/v1/tips', template: '/v1/tips' },
        { method: 'POST', path: '/v1/tips/some-tip', template: '/v1/tips/{tipId}' },
        { method: 'PUT', path: '/v1/payouts', template: '/v1/payouts' },
        { method: 'GET', path: '/v1/splits', template: '/v1/splits' },
      ])('answers 405 with Allow to $method $path', async ({ method, path, template }) => {
        const response = await call(method, path);
        expect(response.status).toBe(405);
        expectConforms(method, template, response);
      });
    });

    describe('POST /v1/splits', () => {
      it('accepts a split (202) whose batch reports progress and its rows once DONE (200)', async () => {
        const body = {
          amountMsat: 20_000,
          recipients: [
            { pubkey: carol(), split: 60, name: 'Carol' },
            { pubkey: dave(), split: 40 },
            { pubkey: dave(), split: 5, fee: true, customKey: '696969', customValue: 'fee' },
          ],
          message: 'contract split',
          boostagram: { app_name: 'contract test' },
        };
        expect(requestConforms('POST', '/v1/splits', body)).toBe(true);
        const response = await call('POST', '/v1/splits', body);
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        const accepted = expectConforms<BatchAccepted>('POST', '/v1/splits', response);
        expect(accepted.parts?.map((part) => part.amountMsat)).toEqual(['11000', '8000', '1000']);
        expect(response.headers.get('location')).toBe(accepted.statusUrl);

        const progress = await getBatch(accepted.batchId);
        expect(progress.kind).toBe('split');
        const done = await waitForBatch(accepted.batchId);
        expect(done.counts).toMatchObject({ total: 3, succeeded: 3 });
        expect(done.rows?.map((row) => row.status)).toEqual([
          'SUCCEEDED',
          'SUCCEEDED',
          'SUCCEEDED',
        ]);
        const part = await getTip(done.rows?.[0]?.tipId ?? '');
        expect(part.status).toBe('SUCCEEDED');
      });

      it.each([
        {
          why: 'an unknown field',
          body: () => ({
            amountMsat: 1_000,
            recipients: [{ pubkey: carol(), split: 1 }],
            colour: 1,
          }),
          type: 'invalid-request',
          documented: false,
        },
        {
          why: 'a recipient that is not a node key',
          body: () => ({ amountMsat: 1_000, recipients: [{ pubkey: '02abc', split: 1 }] }),
          type: 'invalid-request',
          documented: false,
        },
        {
          why: 'no recipients',
          body: () => ({ amountMsat: 1_000 }),
          type: 'invalid-request',
          documented: false,
        },
        {
          why: 'a boostagram field a tip cannot carry (a row problem)',
          body: () => ({
            amountMsat: 1_000,
            recipients: [{ pubkey: carol(), split: 1 }],
            boostagram: { colour: 'red' },
          }),
          type: 'invalid-rows',
          // Each part's boostagram is checked as a tip's: the document only describes it.
          documented: true,
        },
      ])('refuses $why with 422 $type', async ({ body, type, documented }) => {
        expect(requestConforms('POST', '/v1/splits', body())).toBe(documented);
        const response = await call('POST', '/v1/splits', body());
        expect(response.status, JSON.stringify(response.body)).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/splits', response);
        expect(problem.type).toBe(`https://tipstream.dev/problems/${type}`);
      });

      it('answers 404 for a batch the platform does not have', async () => {
        const response = await call('GET', '/v1/payouts/nobody-0000');
        expect(response.status).toBe(404);
        expect(expectConforms<Problem>('GET', '/v1/payouts/{batchId}', response).type).toMatch(
          /batch-not-found$/,
        );
      });
    });

    describe('POST /v1/payouts', () => {
      const csv = () =>
        [
          'pubkey,amount_sats,memo',
          `${carol()},3,"contract, row 2"`,
          `${dave()},12.5,fractional`,
          `${dave()},4,row 4`,
        ].join('\n');

      it('refuses a CSV file with a bad row: 422 with errors[].line', async () => {
        expect(requestConforms('POST', '/v1/payouts', csv(), 'text/csv')).toBe(true);
        const response = await call('POST', '/v1/payouts', csv(), { contentType: 'text/csv' });
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/payouts', response);
        expect(problem.errors).toEqual([expect.objectContaining({ line: 3 })]);
      });

      it('pays the valid rows of a CSV file with allowPartial=true (202, skipped)', async () => {
        const response = await call('POST', '/v1/payouts?allowPartial=true', `${csv()}\n`, {
          contentType: 'text/csv',
        });
        expect(response.status).toBe(202);
        const accepted = expectConforms<BatchAccepted>('POST', '/v1/payouts', response);
        expect(accepted.rows).toBe(2);
        expect(accepted.skipped).toEqual([expect.objectContaining({ line: 3 })]);
        const done = await waitForBatch(accepted.batchId);
        expect(done.rows?.map((row) => row.line)).toEqual([2, 4]);
      });

      it('pays a JSON payout file (202) and reports it DONE with its rows (200)', async () => {
        const body = {
          payouts: [
            { pubkey: carol(), amountSats: 5, memo: 'json row 1' },
            { pubkey: dave(), amountSats: '6', customKey: 696969, customValue: 'sub-wallet' },
          ],
        };
        expect(requestConforms('POST', '/v1/payouts', body)).toBe(true);
        const response = await call('POST', '/v1/payouts', body);
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        const accepted = expectConforms<BatchAccepted>('POST', '/v1/payouts', response);
        expect(accepted).toMatchObject({ rows: 2, totalMsat: '11000' });
        expect(accepted.skipped).toBeUndefined();

        const done = await waitForBatch(accepted.batchId);
        expect(done.kind).toBe('payout');
        expect(done.rows?.map((row) => [row.line, row.status])).toEqual([
          [1, 'SUCCEEDED'],
          [2, 'SUCCEEDED'],
        ]);
      });

      it('refuses a JSON file with an unknown row field (422) and malformed JSON (400)', async () => {
        const body = { payouts: [{ pubkey: carol(), amountSats: 5, note: 'x' }] };
        expect(requestConforms('POST', '/v1/payouts', body)).toBe(false);
        const response = await call('POST', '/v1/payouts', body);
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('POST', '/v1/payouts', response);
        expect(problem.errors).toEqual([expect.objectContaining({ line: 1 })]);

        const broken = await call('POST', '/v1/payouts', '{"payouts": [');
        expect(broken.status).toBe(400);
        expectConforms('POST', '/v1/payouts', broken);
      });
    });

    describe('GET /v1/recipients/{pubkey}/payouts', () => {
      it("pages through a recipient's settled payouts from this platform (200)", async () => {
        // Earlier tests paid carol several times from this platform.
        const first = await call('GET', `/v1/recipients/${carol()}/payouts?limit=1`);
        expect(first.status).toBe(200);
        const page = expectConforms<RecipientPayouts>(
          'GET',
          '/v1/recipients/{pubkey}/payouts',
          first,
        );
        expect(page.recipient).toBe(carol());
        expect(page.next).toBeDefined();
        const second = await call('GET', page.next ?? '');
        expect(second.status).toBe(200);
        expectConforms('GET', '/v1/recipients/{pubkey}/payouts', second);

        const all = await call('GET', `/v1/recipients/${carol()}/payouts?limit=100`);
        const everything = expectConforms<RecipientPayouts>(
          'GET',
          '/v1/recipients/{pubkey}/payouts',
          all,
        );
        expect(everything.payouts.length).toBeGreaterThanOrEqual(3);
      });

      it('refuses a pubkey that is not a node key with 422', async () => {
        const response = await call('GET', '/v1/recipients/02abc/payouts');
        expect(response.status).toBe(422);
        expectConforms('GET', '/v1/recipients/{pubkey}/payouts', response);
      });
    });

    describe('GET /v1/tips and GET /v1/summary', () => {
      it("pages through the platform's tips, newest first (200), and refuses a foreign cursor (422)", async () => {
        // Earlier tests paid several tips from this platform.
        const first = await call('GET', '/v1/tips?limit=2');
        expect(first.status).toBe(200);
        const page = expectConforms<TipList>('GET', '/v1/tips', first);
        expect(page.tips).toHaveLength(2);
        expect(page.next).toBeDefined();
        const second = expectConforms<TipList>(
          'GET',
          '/v1/tips',
          await call('GET', page.next ?? ''),
        );
        expect(second.tips[0]?.tipId).not.toBe(page.tips[1]?.tipId);

        const other = await newPlatform(1_000);
        const foreign = await apiClient(baseUrl, other)('GET', page.next ?? '');
        expect(foreign.status).toBe(422);
        expect(expectConforms<Problem>('GET', '/v1/tips', foreign).errors?.[0]?.field).toBe(
          'cursor',
        );
        const garbage = await call('GET', '/v1/tips?cursor=not-a-cursor');
        expect(garbage.status).toBe(422);
        expectConforms('GET', '/v1/tips', garbage);
      });

      it.each([
        { window: '24h', buckets: 24, bucket: 'hour' },
        { window: '7d', buckets: 7, bucket: 'day' },
        { window: '30d', buckets: 30, bucket: 'day' },
      ])(
        'summarises the $window window in $bucket buckets (200)',
        async ({ window, buckets, bucket }) => {
          const response = await call('GET', `/v1/summary?window=${window}`);
          expect(response.status).toBe(200);
          const summary = expectConforms<Summary>('GET', '/v1/summary', response);
          expect(summary.window).toMatchObject({ name: window, bucket });
          expect(summary.series).toHaveLength(buckets);
          expect(summary.totals.succeeded.count).toBeGreaterThan(0);
          const paid = summary.series.reduce((sum, point) => sum + BigInt(point.paidMsat), 0n);
          expect(paid).toBe(BigInt(summary.totals.succeeded.msat));
        },
      );

      it('refuses an unknown window with 422', async () => {
        const response = await call('GET', '/v1/summary?window=1y');
        expect(response.status).toBe(422);
        const problem = expectConforms<Problem>('GET', '/v1/summary', response);
        expect(problem.errors?.[0]?.field).toBe('window');
      });
    });
  },
);
