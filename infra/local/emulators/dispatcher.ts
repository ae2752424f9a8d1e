import {
  createDispatcherRuntime,
  makeDispatcherHandler,
} from '../../../functions/dispatcher/handler.js';
import { createObservability } from '../../../functions/observability.js';
import { streamArns } from '../../../shared/adapters/dynamodb/tables.js';
import type { DispatcherCheckpoint } from '../../../shared/app/deliver-webhooks.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import type { StackFile } from '../../../shared/config/stack-file.js';
import { readTableNames } from '../../../shared/config/tables.js';
import { lambdaContext } from './poller.js';
import { localStreamsClient, startStreamPoller } from './stream-poller.js';

export interface LocalDispatcherOptions {
  /** How often the retry sweep runs (the deployed schedule: every minute). */
  sweepEveryMs?: number;
  /** Stream records per invocation (the event source mapping's BatchSize). */
  batchSize?: number;
  functionTimeoutMs?: number;
  log?: (line: string) => void;
  /** Crash tests: called at each step of a delivery (`dispatcher-worker.ts` dies at one). */
  checkpoint?: DispatcherCheckpoint;
}

/**
 * The webhook dispatcher as AWS runs it, over the local stack: the same handler fed by the tips
 * and batches tables' streams (`env`'s tables: `npm start` reads the local tables, a test its
 * `tipstream-test-*` ones, so neither delivers the other's events) and by a sweep on a timer.
 */
export const startLocalDispatcher = async (
  stack: StackFile,
  env: Record<string, string>,
  options: LocalDispatcherOptions = {},
) => {
  const dynamodb = localDynamoDbClient(stack.dynamodb.endpoint, stack.region);
  const runtime = createDispatcherRuntime(env, createObservability('dispatcher', env), dynamodb);
  const handler = makeDispatcherHandler({
    ...runtime,
    delivery: { ...runtime.delivery, checkpoint: options.checkpoint },
  });
  const functionTimeoutMs = options.functionTimeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  const streams = localStreamsClient(stack.dynamodb.endpoint, stack.region);
  const poller = startStreamPoller({
    streams,
    streamArns: await streamArns(dynamodb, readTableNames(env)),
    handler: async (event, context) => {
      await handler(event, context);
      return undefined;
    },
    batchSize: options.batchSize ?? 100,
    functionTimeoutMs,
    onError: (error) =>
      log(`dispatcher: ${error instanceof Error ? error.message : String(error)}`),
  });
  // Like an EventBridge schedule with one run at a time: a tick during a run is skipped.
  let sweeping: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = handler({}, lambdaContext('tipstream-dispatcher', functionTimeoutMs))
      .catch((error: unknown) => log(`dispatcher sweep: ${String(error)}`))
      .finally(() => {
        sweeping = undefined;
      });
  }, options.sweepEveryMs ?? 5_000);
  return {
    async stop() {
      clearInterval(timer);
      await poller.stop();
      await sweeping;
      streams.destroy();
      dynamodb.destroy();
    },
  };
};
