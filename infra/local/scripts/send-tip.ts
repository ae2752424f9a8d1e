/**
 * Enqueues one tip on the local stack's tips queue and follows it to its receipt:
 *   npm run tip -- carol 1000 "great stream"
 * The recipient is a node name from stack.json or a pubkey. Needs `npm start` running (the payer).
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_TABLE_NAMES } from '../../../shared/adapters/dynamodb/tables.js';
import { createDynamoTipLedger } from '../../../shared/adapters/dynamodb/tip-ledger.js';
import { localDynamoDbClient } from '../../../shared/config/aws.js';
import { readStackFile } from '../../../shared/config/stack-file.js';
import { buildTipRequest } from '../../../shared/domain/tip-request.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { localSqsClient } from '../stack/elasticmq.js';
import { waitFor } from '../stack/wait.js';

const [recipient, sats, ...words] = process.argv.slice(2);
if (!recipient || !sats) {
  process.stderr.write('usage: npm run tip -- <node name|pubkey> <sats> [message]\n');
  process.exit(2);
}
const config = readStackConfig();
const stack = await readStackFile(runPaths(config.runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack is running: start one with "npm start"\n');
  process.exit(1);
}
const pubkey = stack.lightning.nodes.find((node) => node.name === recipient)?.pubkey ?? recipient;
const tipId = `cli-${randomUUID()}`;
const request = buildTipRequest({
  tipId,
  platformId: 'local-cli',
  recipientPubkey: pubkey,
  amountMsat: Number(sats) * 1000,
  ...(words.length > 0 ? { message: words.join(' ') } : {}),
});
const sqs = localSqsClient(stack.sqs.endpoint, stack.region);
await sqs.send(
  new SendMessageCommand({
    QueueUrl: stack.sqs.tipsQueueUrl,
    MessageBody: JSON.stringify(request),
  }),
);
process.stdout.write(`enqueued ${tipId}: ${sats} sats to ${recipient}\n`);
const ledger = createDynamoTipLedger(
  localDynamoDbClient(stack.dynamodb.endpoint, stack.region),
  LOCAL_TABLE_NAMES,
);
try {
  const tip = await waitFor(
    'the payer to finish the tip (is "npm start" running?)',
    async () => {
      const found = await ledger.getTip(tipId);
      return found && (found.state === 'SUCCEEDED' || found.state === 'FAILED') ? found : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  if (tip.state === 'SUCCEEDED') {
    process.stdout.write(
      `paid; signed receipt:\n${JSON.stringify(JSON.parse(tip.receipt ?? '{}'), null, 2)}\n`,
    );
  } else {
    process.stdout.write(`failed (${tip.failureCode}): ${tip.failureReason}\n`);
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
process.exit();
