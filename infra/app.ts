import { App, Duration } from 'aws-cdk-lib';
import { StatefulStack } from './stacks/stateful-stack.js';

/** Settings from CDK context (`cdk.json` or `-c key=value`), with documented defaults. */
export const readContext = (app: App) => {
  const number = (key: string, fallback: number) => {
    const raw = app.node.tryGetContext(key);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`context ${key} must be a positive number, got ${raw}`);
    return value;
  };
  return {
    maxReceiveCount: number('tipstream:maxReceiveCount', 5),
    payerTimeoutSeconds: number('tipstream:payerTimeoutSeconds', 60),
  };
};

/** Builds the Tipstream app; the service stack (functions, API) joins it with the deploy issue. */
export const buildApp = (app = new App()) => {
  const context = readContext(app);
  const stateful = new StatefulStack(app, 'TipstreamStateful', {
    maxReceiveCount: context.maxReceiveCount,
    payerTimeout: Duration.seconds(context.payerTimeoutSeconds),
  });
  return { app, stateful };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  buildApp().app.synth();
}
