import { randomUUID } from 'node:crypto';
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { type AuthenticatedLnd, getInvoices } from 'lightning';
import { afterAll, beforeAll } from 'vitest';
import { createApi } from '../../functions/api/app.js';
import type { ApiDeps } from '../../functions/api/runtime.js';
import { createApiDeps } from '../../functions/api/runtime.js';
import { startHttpAdapter } from '../../infra/local/emulators/http-adapter.js';
import {
  type LocalServiceOptions,
  localServiceEnv,
  startLocalService,
} from '../../infra/local/emulators/service.js';
import { createQueuePair, localSqsClient } from '../../infra/local/stack/elasticmq.js';
import { connectLnd } from '../../infra/local/stack/lnd.js';
import { waitFor } from '../../infra/local/stack/wait.js';
import { createDynamoPlatformStore } from '../../shared/adapters/dynamodb/intake-store.js';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../shared/adapters/dynamodb/tip-ledger.js';
import { createPlatform } from '../../shared/app/platforms.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import { type StackFile, stackNode } from '../../shared/config/stack-file.js';
import { readTableNames } from '../../shared/config/tables.js';
import { signedHeaders } from '../../shared/domain/request-signature.js';
import { secp } from '../../shared/domain/secp.js';
import { buildTipRequest } from '../../shared/domain/tip-request.js';
import type { TipRecord, TipState } from '../../shared/ports/tip-ledger.js';
import { TEST_STORAGE_PREFIX } from './test-storage.js';

/**
 * The tests' own tables (vitest.config.ts names them for the integration project): never the
 * ones a running `npm start` uses, so its reconciler cannot drive the tests' tips.
 */
export const TEST_TABLES = readTableNames(process.env);
if (TEST_TABLES.tips === LOCAL_TABLE_NAMES.tips) {
  throw new Error('integration tests must run on their own tables (see vitest.config.ts)');
}

/** Clients on the real local stack for the payer's integration tests. */
export const stackClients = async (stack: StackFile) => {
  const dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  await ensureTables(dynamodb, TEST_TABLES);
  const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
  const ledger = createDynamoTipLedger(dynamodb, TEST_TABLES);
  const lnd: Record<string, AuthenticatedLnd> = {};
  for (const node of stack.lightning.nodes) lnd[node.name] = await connectLnd(node);
  const destroy = () => {
    dynamodb.destroy();
    sqs.destroy();
  };
  return { dynamodb, sqs, ledger, lnd, destroy };
};

export type StackClients = Awaited<ReturnType<typeof stackClients>>;

/** A valid version-1 tip request to `recipient`, unique per call unless overridden. */
export const tipRequest = <T extends Record<string, unknown> = Record<never, never>>(
  stack: StackFile,
  recipient: string,
  overrides: T = {} as T,
) =>
  buildTipRequest({
    tipId: `it-${randomUUID()}`,
    platformId: 'integration-tests',
    recipientPubkey: stackNode(stack, recipient).pubkey,
    amountMsat: 1_000_000,
    ...overrides,
  });

/**
 * A private queue (with its own DLQ) on the stack's ElasticMQ, so a test's messages reach only
 * its own payers even when `npm start` is consuming the tips queue. Named `tipstream-test-*`:
 * the next run's global setup deletes it (test-storage.ts).
 */
export const createTestQueue = (clients: StackClients, name: string, maxReceiveCount = 5) =>
  createQueuePair(clients.sqs, `${TEST_STORAGE_PREFIX}${name}`, { maxReceiveCount });

export const enqueue = async (queueUrl: string, clients: StackClients, bodies: unknown[]) => {
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    if (chunk.length === 1) {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: serialize(chunk[0]),
        }),
      );
      continue;
    }
    await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: serialize(body) })),
      }),
    );
  }
};

const serialize = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));

/** Waits until the tip reaches one of `states`; returns it. */
export const waitForTip = (
  clients: StackClients,
  tipId: string,
  states: TipState[],
  timeoutMs = 60_000,
): Promise<TipRecord> =>
  waitFor(
    `tip ${tipId} to reach ${states.join('/')}`,
    async () => {
      const tip = await clients.ledger.getTip(tipId);
      return tip && states.includes(tip.state) ? tip : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );

/** What a creator's node shows for a payment hash: the settled invoice, or nothing. */
export const receivedBy = async (clients: StackClients, node: string, paymentHash: string) => {
  const { invoices } = await getInvoices({
    lnd: clients.lnd[node] as AuthenticatedLnd,
    limit: 1000,
  });
  return invoices.filter((invoice) => invoice.id === paymentHash);
};

export interface ApiCallOptions {
  contentType?: string;
  /** Another platform's id or secret (unknown platforms, wrong secrets). */
  platformId?: string;
  secret?: string;
  /** `null` leaves the header out. */
  idempotencyKey?: string | null;
  timestamp?: number;
  /** A ready header value (instead of the one signed for this request), or `null` for none. */
  signature?: string | null;
  /** Sent as is instead of the JSON of `body` (malformed JSON). */
  rawBody?: string;
}

/** A platform's backend calling the tip API: requests signed, POSTs with an Idempotency-Key. */
export const apiClient =
  (baseUrl: string, platform: { platformId: string; secret: string }) =>
  async (method: string, path: string, body?: unknown, options: ApiCallOptions = {}) => {
    const rawBody =
      options.rawBody ??
      (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
    const platformId = options.platformId ?? platform.platformId;
    const idempotencyKey =
      method === 'POST' && options.idempotencyKey !== null
        ? (options.idempotencyKey ?? randomUUID())
        : undefined;
    const signed = signedHeaders({
      secret: options.secret ?? platform.secret,
      platformId,
      method,
      url: new URL(path, baseUrl).href,
      idempotencyKey,
      body: rawBody,
      ...(options.timestamp === undefined ? {} : { now: new Date(options.timestamp * 1000) }),
    });
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/json',
      ...signed,
    };
    if (options.signature === null) delete headers['tipstream-signature'];
    else if (options.signature !== undefined) headers['tipstream-signature'] = options.signature;
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : rawBody,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      // biome-ignore lint/suspicious/noExplicitAny: tests read response fields loosely
      body: (text ? JSON.parse(text) : {}) as Record<string, any>,
    };
  };

export type LocalService = Awaited<ReturnType<typeof startLocalService>>;

/**
 * A second API on the same stack whose tips go to a private queue that no payer reads: what it
 * accepts stays unpaid (a batch that keeps running, for progress views).
 */
export const startParkedApi = async (
  f: { clients: StackClients; service: LocalService },
  platform: { platformId: string; secret: string },
  name: string,
) => startApiOn(f, platform, (await createTestQueue(f.clients, name)).queueUrl);

/** A second API on the same stack (the service's settings, and `env`) whose tips go to `queueUrl`. */
export const startApiOn = async (
  f: { service: LocalService },
  platform: { platformId: string; secret: string },
  queueUrl: string,
  env: Record<string, string> = {},
) => {
  const deps = createApiDeps({ ...f.service.env, ...env, TIPSTREAM_TIPS_QUEUE_URL: queueUrl });
  const http = await startHttpAdapter(createApi(deps));
  return {
    call: apiClient(http.url, platform),
    async close() {
      await http.close();
      deps.close();
    },
  };
};

/**
 * Registers the hooks that connect to the stack, make a private queue that no payer reads, and
 * serve the HTTP API alone on it (no payer, no reconciler); stops them after the file. `serve`
 * starts another API on the same queue whose deps `configure` may replace (an adapter wrapped to
 * inject a fault). The returned object is filled before the first test runs.
 */
export const useApiOnly = (stack: StackFile, name: string) => {
  const closers: Array<() => Promise<void>> = [];
  const serve = async (configure: (deps: ApiDeps) => ApiDeps = (deps) => deps) => {
    const deps = createApiDeps(
      await localServiceEnv(stack, { TIPSTREAM_TIPS_QUEUE_URL: fixture.queueUrl }),
    );
    const http = await startHttpAdapter(createApi(configure(deps)));
    closers.push(async () => {
      await http.close();
      deps.close();
    });
    return http.url;
  };
  const fixture = { serve } as {
    clients: StackClients;
    queueUrl: string;
    url: string;
    serve: typeof serve;
  };
  beforeAll(async () => {
    fixture.clients = await stackClients(stack);
    fixture.queueUrl = (
      await createTestQueue(fixture.clients, `${name}-${randomUUID().slice(0, 8)}`)
    ).queueUrl;
    fixture.url = await serve();
  });
  afterAll(async () => {
    for (const close of closers) await close();
    fixture.clients?.destroy();
  });
  return fixture;
};

/**
 * Every message waiting on a queue (each received once: they stay invisible for 5 minutes), read
 * until a receive comes back empty.
 */
export const receiveAll = async (clients: StackClients, queueUrl: string) => {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: bodies.length === 0 ? 1 : 0,
      }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body ?? ''));
  }
};

/**
 * Registers the hooks that connect to the stack, make a private queue (so only this file's
 * payers see its messages) and run the local service on it; stops it after the file. The
 * returned object is filled before the first test runs.
 */
export const useLocalService = (
  stack: StackFile,
  name: string,
  options: (
    clients: StackClients,
  ) => LocalServiceOptions | Promise<LocalServiceOptions> = () => ({}),
  { maxReceiveCount = 5 } = {},
) => {
  const fixture = {} as { clients: StackClients; queueUrl: string; service: LocalService };
  beforeAll(async () => {
    fixture.clients = await stackClients(stack);
    fixture.queueUrl = (await createTestQueue(fixture.clients, name, maxReceiveCount)).queueUrl;
    fixture.service = await startLocalService(stack, {
      ...(await options(fixture.clients)),
      queueUrl: fixture.queueUrl,
    });
  });
  afterAll(async () => {
    await fixture.service?.stop();
    fixture.clients?.destroy();
  });
  return fixture;
};

/** Registers a platform with its own signing secret for one test file. */
export const newTestPlatform = async (
  clients: StackClients,
  prefix: string,
  dailyLimitSats: number,
) => {
  const store = createDynamoPlatformStore(clients.dynamodb, TEST_TABLES);
  const { platform, secret } = await createPlatform(store, {
    platformId: `${prefix}-${randomUUID().slice(0, 8)}`,
    dailyLimitSats,
  });
  return { platformId: platform.platformId, secret };
};

/** The x-only key the local service signs receipts with: what a creator verifies them against. */
export const receiptPublicKey = (service: Pick<LocalService, 'env'>) =>
  Buffer.from(
    secp.schnorr.getPublicKey(Buffer.from(service.env.TIPSTREAM_RECEIPT_PRIVATE_KEY ?? '', 'hex')),
  ).toString('hex');
