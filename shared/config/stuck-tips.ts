import { createDynamoTipLedger } from '../adapters/dynamodb/tip-ledger.js';
import { connectLndInspector } from '../adapters/lnd/lnd-node.js';
import type { PaymentInspector } from '../ports/lightning-node.js';
import type { TipLedger } from '../ports/tip-ledger.js';
import { dynamoDbFromEnv, localDynamoDbClient } from './aws.js';
import { readLndCredentials } from './secrets.js';
import { readLocalStack, stackNode } from './stack-file.js';
import { readTableNames } from './tables.js';

/** No stack and no deployed table configured. */
export class NoTipsTableError extends Error {
  override name = 'NoTipsTableError';
}

type Env = Record<string, string | undefined>;

/**
 * The tips table (and, for a live look, the operator's LND) for `tipstream stuck`:
 * TIPSTREAM_DYNAMODB_ENDPOINT or TIPSTREAM_TIPS_TABLE for a deployed Tipstream (AWS credentials
 * from the environment; LND from TIPSTREAM_LND_*), else the local stack of `projectDir`.
 */
export const openStuckTipReader = async (
  env: Env = process.env,
  projectDir?: string,
): Promise<{ ledger: TipLedger; inspector: () => PaymentInspector; close: () => void }> => {
  const deployed = Boolean(env.TIPSTREAM_DYNAMODB_ENDPOINT || env.TIPSTREAM_TIPS_TABLE);
  const stack = deployed ? undefined : await readLocalStack(env, projectDir);
  if (!deployed && !stack) {
    throw new NoTipsTableError(
      'no local stack is running: start one with "npm start" (or "npm run stack:up"), or set TIPSTREAM_TIPS_TABLE (and AWS credentials) for a deployed Tipstream',
    );
  }
  const dynamodb = stack
    ? localDynamoDbClient(stack.dynamodb.endpoint, stack.region)
    : dynamoDbFromEnv(env);
  const inspector = () => {
    if (env.TIPSTREAM_LND_SOCKET || !stack) {
      return connectLndInspector(readLndCredentials(env), { rpcTimeoutMs: 10_000 });
    }
    const operator = stackNode(stack, stack.lightning.operator);
    return connectLndInspector(
      readLndCredentials({
        TIPSTREAM_LND_SOCKET: operator.socket,
        TIPSTREAM_LND_CERT_PATH: operator.certPath,
        TIPSTREAM_LND_MACAROON_PATH: operator.macaroonPath,
      }),
      { rpcTimeoutMs: 10_000 },
    );
  };
  return {
    ledger: createDynamoTipLedger(dynamodb, readTableNames(env)),
    inspector,
    close: () => dynamodb.destroy(),
  };
};
