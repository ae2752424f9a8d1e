import { execFile, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  coldImport,
  type FunctionName,
  median,
  sizeOf,
  synthLambdaAssets,
} from '../../infra/local/bench/lambda-assets.js';
import { BUNDLED_PROTOS_DIR } from '../../shared/adapters/lnd/bundled-protos.js';
import { malformedTipEvent } from '../support/sqs-events.js';

/**
 * The handlers as Lambda gets them (`cdk synth`, esbuild bundling every dependency, the AWS SDK
 * and `lightning` included), their size and the time Node takes to load each in a fresh
 * process. `npm run bench:bundles` compares the load time with the old layout; this test keeps
 * the bounds. The outdir is inside the repo (test-artifacts/), like a deploy's cdk.out.
 */
const OUTDIR = join(import.meta.dirname, '..', '..', 'test-artifacts', 'cdk-bundle');
const MB = 1024 * 1024;

describe('bundled handlers', () => {
  let assets: Record<FunctionName, string>;

  beforeAll(() => {
    assets = synthLambdaAssets(OUTDIR);
  }, 240_000);

  it.each([
    // index.mjs bounds: bytes are what V8 parses at every cold start, and unlike a time they do
    // not depend on the machine's load. Measured 1,132,096 (API), 1,401,635 (payer), 1,387,187
    // (reconciler); zod's locales back in the API (+263 KB) or lightning's whole index back in
    // the payer or reconciler (+308 KB) fails here.
    {
      name: 'Api' as const,
      files: ['index.mjs'],
      maxIndexBytes: 1_250_000,
      maxLoadMs: 5_000,
    },
    {
      name: 'Payer' as const,
      files: ['index.mjs', BUNDLED_PROTOS_DIR, 'secp256k1.wasm'],
      maxIndexBytes: 1_600_000,
      maxLoadMs: 5_000,
    },
    {
      name: 'Reconciler' as const,
      files: ['index.mjs', BUNDLED_PROTOS_DIR, 'secp256k1.wasm'],
      maxIndexBytes: 1_600_000,
      maxLoadMs: 5_000,
    },
  ])(
    '$name is one file (and what lightning reads), at most 3 MB, its code within bounds, and loads fast',
    ({ name, files, maxIndexBytes, maxLoadMs }) => {
      const dir = assets[name];
      const bundle = join(dir, 'index.mjs');
      const bundleBytes = sizeOf(bundle);
      const totalBytes = sizeOf(dir);
      // Load time is measured, not judged, here: the bound is wide enough for the 2-core machine
      // at load 30 (3 s seen) and only catches a bundle gone badly wrong; `npm run bench:bundles`
      // compares it with the old layout.
      const loadMs = median([0, 1, 2].map(() => coldImport(bundle).wallMs));
      console.log(
        `${name}: index.mjs ${(bundleBytes / MB).toFixed(2)} MB, asset ${(totalBytes / MB).toFixed(2)} MB ` +
          `(${totalBytes} bytes), module load ${loadMs.toFixed(0)} ms (median of 3)`,
      );
      // No node_modules, no source maps: every dependency is in index.mjs.
      expect(readdirSync(dir).sort()).toEqual(files);
      expect(totalBytes).toBeLessThanOrEqual(3 * MB);
      expect(bundleBytes).toBeLessThanOrEqual(maxIndexBytes);
      expect(loadMs).toBeLessThan(maxLoadMs);
    },
  );

  /**
   * Runs the built API in a fresh process, with no stack (neither request reaches DynamoDB or
   * SQS): its zod is zod less its locales, and its handler loads Powertools and the clients on
   * the first invocation. Also says whether the X-Ray SDK's automatic mode was loaded (its
   * `cls-hooked` namespace, which hooks every promise of the process).
   */
  const runBuiltApi = (env: Record<string, string>) => {
    const script = `const { handler } = await import(${JSON.stringify(join(assets.Api, 'index.mjs'))});
const context = { functionName: 'api', awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 3000 };
const get = (path) => handler({ version: '2.0', rawPath: path, rawQueryString: '', headers: {},
  requestContext: { http: { method: 'GET', path } } }, context);
const [openapi, missing] = [await get('/v1/openapi.json'), await get('/v1/no-such-thing')];
console.log(JSON.stringify({ openapi, missing, namespaces: Object.keys(process.namespaces ?? {}) }));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        TIPSTREAM_TIPS_QUEUE_URL: 'http://127.0.0.1:9/queue/tips',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
        ...env,
      },
    });
    return JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
  };

  it('the built API answers as the source does: its OpenAPI document, and a 404 problem', () => {
    const { openapi, missing, namespaces } = runBuiltApi({});
    expect(openapi.statusCode).toBe(200);
    expect(JSON.parse(openapi.body)).toEqual(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'openapi.json'), 'utf8')),
    );
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      type: 'https://tipstream.dev/problems/not-found',
      status: 404,
    });
    // Not in Lambda: tracing is off, and nothing of X-Ray is loaded.
    expect(namespaces).toEqual([]);
  });

  it('loads the X-Ray SDK only where it traces: in Lambda, unless POWERTOOLS_TRACE_ENABLED=false', () => {
    const inLambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };
    const traced = runBuiltApi(inLambda);
    expect(traced.openapi.statusCode).toBe(200);
    expect(traced.namespaces).toEqual(['AWSXRay']);
    const off = runBuiltApi({ ...inLambda, POWERTOOLS_TRACE_ENABLED: 'false' });
    expect(off.openapi.statusCode).toBe(200);
    expect(off.namespaces).toEqual([]);
  });

  /**
   * One invocation of a built handler as Lambda runs it with active tracing: the X-Ray SDK in
   * Lambda mode (`LAMBDA_TASK_ROOT`, the invocation's facade segment from `_X_AMZN_TRACE_ID`),
   * sending to an X-Ray daemon on loopback, here a UDP socket that keeps what it gets. DynamoDB
   * is a closed port: the call fails, and is traced as it is.
   */
  const traceBuiltHandler = async (name: FunctionName, event: unknown) => {
    const daemon = createSocket('udp4');
    const received: Array<{ name: string; annotations?: Record<string, unknown> }> = [];
    daemon.on('message', (message) => {
      const text = message.toString('utf8');
      received.push(JSON.parse(text.slice(text.indexOf('\n') + 1)));
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    try {
      const script = `const { handler } = await import(${JSON.stringify(join(assets[name], 'index.mjs'))});
const context = { functionName: 'fn-${name}', awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 3000 };
await handler(${JSON.stringify(event)}, context).catch(() => {});`;
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'bundle-test',
          AWS_SECRET_ACCESS_KEY: 'bundle-test',
          AWS_MAX_ATTEMPTS: '1',
          TIPSTREAM_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
          TIPSTREAM_TIPS_QUEUE_URL: 'http://127.0.0.1:9/queue/tips',
          TIPSTREAM_LND_SOCKET: '127.0.0.1:9',
          TIPSTREAM_LND_CERT: 'AAAA',
          TIPSTREAM_LND_MACAROON: 'AAAA',
          TIPSTREAM_PREIMAGE_KEYS: `1:${'01'.repeat(32)}`,
          TIPSTREAM_RECEIPT_PRIVATE_KEY: '01'.repeat(32),
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
          AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
          AWS_LAMBDA_FUNCTION_NAME: `fn-${name}`,
          LAMBDA_TASK_ROOT: assets[name],
          _X_AMZN_TRACE_ID:
            'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
        },
      });
      // Subsegments are sent as each closes; give the last datagrams time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return received.map(({ name: segment, annotations }) => ({ name: segment, annotations }));
    } finally {
      daemon.close();
    }
  };

  it.each([
    {
      name: 'Api' as const,
      service: 'api',
      // Authentication reads the platform from DynamoDB.
      event: {
        version: '2.0',
        rawPath: '/v1/summary',
        rawQueryString: '',
        headers: { 'tipstream-platform': 'demo' },
        requestContext: { http: { method: 'GET', path: '/v1/summary' } },
      },
    },
    {
      name: 'Payer' as const,
      service: 'payer',
      // A malformed tip is recorded as rejected in DynamoDB.
      event: malformedTipEvent,
    },
    // The scheduled run lists the tips stuck in SENDING from DynamoDB.
    { name: 'Reconciler' as const, service: 'reconciler', event: {} },
  ])(
    '$name traces in Lambda as deployed: a `## function` subsegment with the cold start and service, its DynamoDB calls',
    async ({ name, service, event }) => {
      const segments = await traceBuiltHandler(name, event);
      expect(segments).toContainEqual({
        name: `## fn-${name}`,
        annotations: { ColdStart: true, Service: `tipstream-${service}` },
      });
      expect(segments).toContainEqual({ name: 'DynamoDB', annotations: undefined });
    },
  );

  it("copies every one of lightning's protos", () => {
    const protos = readdirSync(join(assets.Payer, BUNDLED_PROTOS_DIR)).sort();
    const source = readdirSync(
      join(import.meta.dirname, '..', '..', 'node_modules', 'lightning', 'grpc', 'protos'),
    ).sort();
    expect(protos).toEqual(source);
  });
});
