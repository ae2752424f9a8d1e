import { OpenAPIHono } from '@hono/zod-openapi';
import { API_ROUTES } from './routes/index.js';
import { ProblemSchema, RESPONSES } from './schemas/problems.js';
import { SECURITY_SCHEMES } from './schemas/security.js';
import { BatchCompletedEvent, TipFailedEvent, TipSucceededEvent } from './schemas/webhooks.js';

const DESCRIPTION = `Lightning tips, splits and payout batches for platforms, paid by keysend exactly once.

Platforms send tips, podcast value splits and payout files; Tipstream accepts them (\`202 Accepted\`), enqueues them, and pays every tip at most once by keysend from the operator's node. Status endpoints report progress and, once a tip is paid, a receipt signed by the operator.

**Conventions**

* Amounts in responses are millisatoshis as **decimal strings** (\`"21000"\`), never JSON numbers, so they stay exact. Requests accept a safe-integer JSON number or a decimal string.
* Every error is an RFC 9457 problem (\`application/problem+json\`): \`type\` (\`https://tipstream.dev/problems/<slug>\`), \`title\`, \`status\`, \`detail\` (what to fix) and, for field or line level problems, \`errors[]\` of \`{ field?, line?, message }\`.
* Optional response fields are omitted when they have no value; they are never \`null\`.
* Requests are checked in this order: route (\`404\` unknown path, \`405\` known path with another method, both before authentication), body size (\`413\`: 16 KiB, 2 MiB for \`POST /v1/payouts\`), \`Tipstream-Platform\` (\`401\`), \`Tipstream-Signature\` (\`401\`), replay of a signed write (\`401\`), then the route's own checks (\`Idempotency-Key\` \`400\`, JSON \`400\`, validation \`422\`, ...).
* **Any path that is not listed here** answers \`404\` (\`components/responses/NotFound\`, type \`not-found\`), and a listed path requested with a method it does not have answers \`405\` (\`components/responses/MethodNotAllowed\`, type \`method-not-allowed\`, with an \`Allow\` header), whether or not the request is signed.
* Any operation may answer \`500\` (type \`internal-error\`) if Tipstream fails; retry the same request with the same \`Idempotency-Key\`.

**Idempotency.** Every \`POST\` needs an \`Idempotency-Key\` header (1-255 characters). The same key with the same payment content answers as the first time (\`202\`, with \`Idempotent-Replayed: true\`); the same key with different content is \`409\`. Ids derive from the key: a retried request can only ever become the same tip(s).

This document is generated from the API's route definitions (\`npm run openapi\` writes \`openapi.json\`) and served unsigned at \`GET /v1/openapi.json\`.`;

/** Where the document is served (unsigned: it is public). */
export const OPENAPI_PATH = '/v1/openapi.json';

const WEBHOOK_EVENTS = [
  ['tip.succeeded', TipSucceededEvent, 'A tip was paid (with its signed receipt)'],
  ['tip.failed', TipFailedEvent, 'A tip failed (code and reason)'],
  ['batch.completed', BatchCompletedEvent, 'Every row of a payout batch or split ended'],
] as const;

let document: ReturnType<OpenAPIHono['getOpenAPI31Document']> | undefined;

/** The OpenAPI 3.1 document of the API, generated from its routes' zod schemas. */
export const openApiDocument = () => {
  if (document) return document;
  const generator = new OpenAPIHono();
  const registry = generator.openAPIRegistry;
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    registry.registerComponent('securitySchemes', name, scheme);
  }
  // The shape every problem shares (each route names its own kinds).
  registry.register('Problem', ProblemSchema);
  for (const [name, { description, schemaName, schema, headers }] of Object.entries(RESPONSES)) {
    registry.register(schemaName, schema);
    registry.registerComponent('responses', name, {
      description,
      ...(headers ? { headers } : {}),
      content: {
        'application/problem+json': { schema: { $ref: `#/components/schemas/${schemaName}` } },
      },
    });
  }
  for (const { route } of API_ROUTES) registry.registerPath(route);
  // What Tipstream POSTs to a platform's endpoints (Standard Webhooks headers, versioned bodies).
  for (const [event, schema, summary] of WEBHOOK_EVENTS) {
    registry.registerWebhook({
      method: 'post',
      path: event,
      summary,
      description:
        'Signed per Standard Webhooks: `webhook-id` (the event id; the same on every retry: deduplicate by it), `webhook-timestamp`, `webhook-signature` (`v1,<base64 HMAC-SHA256>` with the endpoint secret). Answer 2xx within 5 s; anything else is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (±20 % jitter), then dead-lettered (resend with `POST /v1/webhook-deliveries/resend`).',
      request: { body: { content: { 'application/json': { schema } } } },
      responses: { 200: { description: 'Received (any 2xx).' } },
    });
  }
  document = generator.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Tipstream API',
      version: '0.1.0',
      description: DESCRIPTION,
    },
    servers: [
      {
        url: 'http://127.0.0.1:{port}',
        description:
          'The local service (`npm start`, which listens on a free loopback port and prints the API URL at start-up).',
        variables: { port: { default: '8080', description: 'The port `npm start` printed.' } },
      },
    ],
    security: [{ platform: [], signature: [] }],
    tags: [
      { name: 'Tips', description: 'Single tips.' },
      {
        name: 'Batches',
        description: 'Value splits and payout files, accepted as one batch each.',
      },
      { name: 'Recipients', description: 'What a recipient has been paid.' },
      { name: 'Platform', description: 'What the platform has sent, for its dashboards.' },
    ],
  });
  return document;
};
