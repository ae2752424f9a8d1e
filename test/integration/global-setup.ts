import type { TestProject } from 'vitest/node';
import { readStackConfig } from '../../infra/local/stack/config.js';
import { localSqsClient } from '../../infra/local/stack/elasticmq.js';
import { describeError } from '../../infra/local/stack/errors.js';
import { createProgress } from '../../infra/local/stack/progress.js';
import { stackUp, stopStarted } from '../../infra/local/stack/stack.js';
import { localDynamoDbClient } from '../../shared/config/aws.js';
import type { StackFile } from '../../shared/config/stack-file.js';
import { readTableNames } from '../../shared/config/tables.js';
import { resetTestStorage } from './test-storage.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackFile;
  }
}

/**
 * Brings up the real local stack for the integration tests, or reuses a healthy running one
 * (`npm run stack:up` beforehand makes repeated runs fast), and gives the run empty test tables
 * and no leftover test queues (test-storage.ts). Stops only what it started.
 */
export default async function setup(project: TestProject) {
  const config = readStackConfig();
  const progress = createProgress();
  let result: Awaited<ReturnType<typeof stackUp>>;
  try {
    result = await stackUp(config, progress);
  } catch (error) {
    throw new Error(
      `The local stack could not start, so the integration tests cannot run: ${describeError(error)}`,
      { cause: error },
    );
  }
  progress.info(
    result.reused
      ? 'integration tests reuse the running stack'
      : 'integration tests started the stack',
  );
  // The tests' table names are the project's env (vitest.config.ts), which only the test files
  // see; this process's own env names the service's tables, which the reset must leave alone.
  const dynamodb = localDynamoDbClient(result.stack.dynamodb.endpoint, result.stack.region);
  const sqs = localSqsClient(result.stack.sqs.endpoint, result.stack.region);
  try {
    const started = Date.now();
    const reset = await resetTestStorage(
      { dynamodb, sqs },
      readTableNames({ ...process.env, ...project.config.env }),
      readTableNames(process.env),
    );
    progress.info(
      `integration tests start from empty tables: deleted ${reset.tables.length} test tables and ${reset.queues.length} test queues in ${Date.now() - started} ms`,
    );
  } catch (error) {
    if (!result.reused) await stopStarted(config, result);
    throw new Error(`The integration tests' tables could not be reset: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    dynamodb.destroy();
    sqs.destroy();
  }
  project.provide('stack', result.stack);
  return async () => {
    if (!result.reused) await stopStarted(config, result);
  };
}
