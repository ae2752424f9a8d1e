import type { TestProject } from 'vitest/node';
import { readStackConfig } from '../../infra/local/stack/config.js';
import { describeError } from '../../infra/local/stack/errors.js';
import { createProgress } from '../../infra/local/stack/progress.js';
import { stackUp, stopStarted } from '../../infra/local/stack/stack.js';
import type { StackFile } from '../../shared/config/stack-file.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackFile;
  }
}

/**
 * Brings up the real local stack for the integration tests, or reuses a healthy running one
 * (`npm run stack:up` beforehand makes repeated runs fast). Stops only what it started.
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
  project.provide('stack', result.stack);
  return async () => {
    if (!result.reused) await stopStarted(config, result);
  };
}
