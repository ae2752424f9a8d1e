/**
 * Conformance of answers to the API's OpenAPI document (generated from the routes' zod schemas):
 * every response is checked for a declared status, a declared content type, its declared headers
 * and its schema (Ajv, JSON Schema 2020-12). Used by the unit contract test (the handler over
 * in-memory ports) and the integration one (the real local stack).
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { openApiDocument } from '../../functions/api/openapi.js';

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
export interface Operation {
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

const DOCUMENT_ID = 'https://tipstream.dev/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The generated document (test/functions/api/openapi.test.ts keeps openapi.json equal to it). */
export const document = openApiDocument() as unknown as OpenApiDocument;

// Both are CommonJS: Node's default import is module.exports, typed as the module's namespace.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
// OpenAPI 3.1 schemas are JSON Schema 2020-12; the document around them (openapi, info, paths…)
// is not, so strict mode is off and the whole document is registered for `$ref`s into it.
export const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

const escapePointer = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1');
export const pointerOf = (...parts: string[]) =>
  parts.map((part) => `/${escapePointer(part)}`).join('');

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
export const follow = <T extends { $ref?: string }>(
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
export const validatorAt = (pointer: string) => {
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

export interface ApiResponse {
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
export const expectConforms = <T = Record<string, unknown>>(
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
export const requestConforms = (
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

export interface TipAccepted {
  tipId: string;
  status: 'ACCEPTED';
  statusUrl: string;
}
export interface TipStatus {
  tipId: string;
  status: string;
  amountMsat: string;
  receipt?: { receipt: { amountMsat: string; paymentHash: string } };
}
export interface BatchAccepted {
  batchId: string;
  rows: number;
  totalMsat: string;
  statusUrl: string;
  skipped?: Array<{ line: number; message: string }>;
  parts?: Array<{ tipId: string; amountMsat: string }>;
}
export interface BatchStatus {
  status: 'IN_PROGRESS' | 'DONE';
  kind: string;
  counts: { total: number; succeeded: number };
  rows?: Array<{ line: number; status: string; tipId: string }>;
}
export interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: Array<{ field?: string; line?: number; message: string }>;
}
export interface TipList {
  tips: Array<{ tipId: string; status: string; statusUrl: string }>;
  next?: string;
}
export interface Summary {
  window: { name: string; bucket: string };
  totals: { tips: number; succeeded: { count: number; msat: string } };
  series: Array<{ paidMsat: string }>;
}
export interface RecipientPayouts {
  recipient: string;
  payouts: Array<{ tipId: string }>;
  next?: string;
}

/** Every operation of the document, with its method and path template. */
export const operations = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => HTTP_METHODS.includes(key))
      .map((method) => ({ method, path, operation: item[method] as Operation })),
  );
