import { setTimeout as sleep } from 'node:timers/promises';
import { removeServiceFile, writeServiceFile } from '../../../shared/config/service-file.js';
import { readStackFile, type StackFile } from '../../../shared/config/stack-file.js';
import { startLocalService } from '../emulators/service.js';
import { readStackConfig, runPaths, type StackConfig } from '../stack/config.js';
import { describeDynamoDbData, dynamoDbDataBytes } from '../stack/dynamodb-local.js';
import { describeError } from '../stack/errors.js';
import {
  DYNAMODB_LOCAL,
  ELASTICMQ,
  ensureJavaArtifact,
  ensureLightningBinaries,
} from '../stack/install.js';
import { createProgress, type Progress } from '../stack/progress.js';
import { checkStackHealth, stackDown, stackUp, stopStarted } from '../stack/stack.js';

const usage = `Tipstream local stack

  npm start            stack up (or reuse a running one), run the service, Ctrl-C stops what it started
  npm run stack:up     start the stack in the background and return when ready (.tipstream/stack.json)
  npm run stack:down   stop the stack recorded in .tipstream/stack.json
  npm run stack:status say whether the recorded stack is running and healthy
  npm run stack:install build/fetch lnd, btcd, DynamoDB Local and ElasticMQ into the cache only
  npm run tip -- <node|pubkey> <sats> [message]   enqueue a tip on the local stack and follow it

Settings: TIPSTREAM_* environment variables (see README, "Configuration").`;

/** What a person needs to find every part of the stack; `dynamoDbData`: its data's status line. */
export const describeStack = (
  stack: StackFile,
  config: StackConfig,
  dynamoDbData?: string,
): string => {
  const lines = [
    `DynamoDB   ${stack.dynamodb.endpoint}${stack.dynamodb.local ? ' (DynamoDB Local)' : ''}`,
    ...(dynamoDbData ? [`  data     ${dynamoDbData}`] : []),
    `SQS        ${stack.sqs.endpoint}${stack.sqs.local ? ' (ElasticMQ)' : ''}`,
    `  tips     ${stack.sqs.tipsQueueUrl}`,
    `  dlq      ${stack.sqs.tipsDlqUrl} (after ${stack.sqs.maxReceiveCount} receives)`,
    `Lightning  ${stack.lightning.network}, Tipstream pays from "${stack.lightning.operator}"`,
  ];
  for (const node of stack.lightning.nodes) {
    const traits = [node.role, node.acceptsKeysend ? 'accepts keysend' : undefined]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${node.name.padEnd(8)} ${node.pubkey} grpc ${node.socket} (${traits})`);
  }
  const operator = stack.lightning.nodes.find((node) => node.name === stack.lightning.operator);
  if (stack.lightning.binaries && operator) {
    lines.push(
      `  try:     ${stack.lightning.binaries.lncli} --network regtest --rpcserver ${operator.socket} --tlscertpath ${operator.certPath} --macaroonpath ${operator.macaroonPath} getinfo`,
    );
  }
  lines.push(
    `Logs       ${runPaths(config.runDir).logs}`,
    `Stack file ${runPaths(config.runDir).stackFile}`,
  );
  return lines.join('\n');
};

/** DynamoDB Local's data folder and size, for a stack that runs DynamoDB Local. */
const dynamoDbDataLine = async (stack: StackFile, config: StackConfig) => {
  if (!stack.dynamodb.local) return undefined;
  const dataDir = runPaths(config.runDir).dynamodb;
  return describeDynamoDbData(dataDir, await dynamoDbDataBytes(dataDir));
};

const install = async (config: StackConfig, progress: Progress) => {
  const [binaries, dynamodb, elasticmq] = await Promise.all([
    ensureLightningBinaries(config, progress),
    ensureJavaArtifact(config, DYNAMODB_LOCAL, progress),
    ensureJavaArtifact(config, ELASTICMQ, progress),
  ]);
  progress.info(`lnd ${binaries.lnd}\n  DynamoDB Local ${dynamodb}\n  ElasticMQ ${elasticmq}`);
};

const start = async (config: StackConfig, progress: Progress) => {
  const result = await stackUp(config, progress);
  const service = await startLocalService(result.stack, {
    webPort: 0,
    dispatcher: {},
    log: (line) => progress.info(line),
  });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    progress.info(`${why}: stopping the payer, reconciler and webhook dispatcher…`);
    await removeServiceFile(result.stack.runDir);
    await service.stop();
    if (result.reused) {
      progress.info(
        'leaving the stack running (it was started elsewhere; "npm run stack:down" stops it)',
      );
    } else {
      progress.info('stopping everything npm start started…');
      await stopStarted(config, result);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (service.api) {
    await writeServiceFile(result.stack.runDir, {
      apiUrl: service.api.url,
      platformId: service.api.platformId,
      ...(service.web ? { webUrl: service.web.url } : {}),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
  }
  const carol =
    result.stack.lightning.nodes.find((node) => node.name === 'carol')?.pubkey ??
    '<recipient pubkey>';
  process.stdout.write(
    `\nTipstream local stack ${result.reused ? '(reused, already running)' : 'is up'}\n${describeStack(result.stack, config, await dynamoDbDataLine(result.stack, config))}\n\n` +
      `Service    payer polling ${result.stack.sqs.tipsQueueUrl}, reconciler every 30 s\n` +
      `API        ${service.api?.url}/v1 (platform "${service.api?.platformId}", secret in .tipstream/platform-secret; ${service.api?.url}/v1/openapi.json)\n` +
      (service.web
        ? `Web        ${service.web.url}/ demo stream page: tip carol and dave with the tip button\n` +
          `           ${service.web.url}/dashboard payouts dashboard; the example platform backend signs for "${service.api?.platformId}"\n\n`
        : '\n') +
      'Send a tip through the API (another terminal, ready to paste):\n' +
      `  BODY='{"recipientPubkey":"${carol}","amountMsat":21000,"message":"great stream"}' KEY=tip-$(date +%s%N)\n` +
      `  curl -s -X POST ${service.api?.url}/v1/tips -H 'content-type: application/json' \\\n` +
      `    -H 'Tipstream-Platform: ${service.api?.platformId}' -H "Idempotency-Key: $KEY" \\\n` +
      '    -H "Tipstream-Signature: $(npm run -s sign -- POST /v1/tips "$BODY" "$KEY")" -d "$BODY"\n' +
      `  then: curl -s ${service.api?.url}/v1/tips/<tipId> -H 'Tipstream-Platform: ${service.api?.platformId}' -H "Tipstream-Signature: $(npm run -s sign -- GET /v1/tips/<tipId>)"\n` +
      'Or with the CLI:           npx tipstream tip carol 1000 --message "great stream" --wait\n' +
      'Or straight onto the queue: npm run tip -- carol 1000 "great stream"\n' +
      'Press Ctrl-C to stop.\n',
  );
  // Watch the stack: a part that dies is reported at once, not discovered by a confusing error later.
  // Parts are followed by name: stack.json is read anew each time and each part found by its
  // command line, so a part another command restarted (a test restarting lnd) is the part.
  const watchEveryMs = Number(process.env.TIPSTREAM_WATCH_INTERVAL_MS ?? 15_000);
  const stackFile = runPaths(config.runDir).stackFile;
  let reported = '';
  while (!stopping) {
    await sleep(watchEveryMs);
    if (stopping) break;
    const current = (await readStackFile(stackFile).catch(() => undefined)) ?? result.stack;
    const problems = await checkStackHealth(current);
    const report = problems.join('; ');
    if (problems.length > 0) progress.info(`stack problem: ${report}`);
    else if (reported) progress.info('stack healthy again');
    reported = report;
  }
};

const main = async () => {
  const command = process.argv[2];
  const config = readStackConfig();
  const progress = createProgress();
  switch (command) {
    case 'up': {
      const result = await stackUp(config, progress);
      result.supervisor?.detachAll();
      process.stdout.write(
        `${result.reused ? 'Stack already running and healthy' : 'Stack is up'}\n${describeStack(result.stack, config, await dynamoDbDataLine(result.stack, config))}\n`,
      );
      process.exit(0);
      break;
    }
    case 'down': {
      const stopped = await stackDown(config, progress);
      process.stdout.write(stopped ? 'Stack stopped\n' : 'No stack recorded; nothing to stop\n');
      process.exit(0);
      break;
    }
    case 'status': {
      const stack = await readStackFile(runPaths(config.runDir).stackFile);
      if (!stack) {
        process.stdout.write(
          'No stack running (no .tipstream/stack.json). Start one with "npm run stack:up".\n',
        );
        process.exit(1);
      }
      const problems = await checkStackHealth(stack);
      process.stdout.write(
        `${describeStack(stack, config, await dynamoDbDataLine(stack, config))}\n${problems.length === 0 ? 'healthy' : `NOT healthy:\n  ${problems.join('\n  ')}`}\n`,
      );
      process.exit(problems.length === 0 ? 0 : 1);
      break;
    }
    case 'install':
      await install(config, progress);
      process.exit(0);
      break;
    case 'start':
      await start(config, progress);
      break;
    default:
      process.stdout.write(`${usage}\n`);
      process.exit(command ? 2 : 0);
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`\n[tipstream] ${describeError(error)}\n`);
  process.exit(1);
});
