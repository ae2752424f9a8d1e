import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { synthLambdaAssets } from '../../infra/local/bench/lambda-assets.js';
import { localServiceEnv } from '../../infra/local/emulators/service.js';
import { verifyReceipt } from '../../shared/domain/receipt.js';
import {
  receiptPublicKey,
  receivedBy,
  type StackClients,
  stackClients,
  tipRequest,
  waitForTip,
} from './helpers.js';

const stack = inject('stack');
const run = promisify(execFile);

/**
 * Invokes the `handler` of the bundle at argv[1] once, in this fresh process, with the SQS event
 * in argv[2] and a Lambda-like context, and prints its answer as the last line.
 */
const INVOKE = `const [bundle, event] = process.argv.slice(1);
const { handler } = await import(bundle);
const started = Date.now();
const context = {
  functionName: 'tipstream-payer', functionVersion: '$LATEST', awsRequestId: '${randomUUID()}',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:tipstream-payer',
  memoryLimitInMB: '512', logGroupName: 'payer', logStreamName: 'payer',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000 - (Date.now() - started),
};
const answer = await handler(JSON.parse(event), context);
console.log(JSON.stringify(answer));
process.exit(0);`;

/**
 * The payer exactly as Lambda runs it: the asset `cdk synth` builds (one esbuild file, with
 * lightning's protos and tiny-secp256k1's wasm beside it, no node_modules), loaded by plain Node
 * from its own folder, pays a real keysend. A missing proto (the gRPC client is built from the
 * asset's copy) or wasm (loaded at import; the receipt signer signs with it) fails here.
 */
describe.runIf(stack.lightning.network === 'regtest')('the bundled payer', () => {
  let clients: StackClients;
  let payerAsset: string;

  beforeAll(async () => {
    clients = await stackClients(stack);
    payerAsset = synthLambdaAssets(
      join(import.meta.dirname, '..', '..', 'test-artifacts', 'cdk-bundle-paying'),
    ).Payer;
  }, 240_000);
  afterAll(() => clients?.destroy());

  it('pays carol a keysend exactly once from the built asset', async () => {
    const request = tipRequest(stack, 'carol', { amountMsat: 3_210_000 });
    const event = {
      Records: [
        {
          messageId: randomUUID(),
          receiptHandle: 'bundled-payer',
          body: JSON.stringify(request),
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:tips',
          awsRegion: stack.region,
        },
      ],
    };
    // Only what a Lambda's environment holds: the local stack's variables, no tsx, no vitest.
    const serviceEnv = await localServiceEnv(stack);
    const env = { PATH: process.env.PATH, ...serviceEnv };
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', INVOKE, join(payerAsset, 'index.mjs'), JSON.stringify(event)],
      { cwd: payerAsset, env, timeout: 90_000 },
    );
    const answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
    expect(answer).toEqual({ batchItemFailures: [] });

    const tip = await waitForTip(clients, request.tipId, ['SUCCEEDED', 'FAILED']);
    expect(tip.state).toBe('SUCCEEDED');
    const received = await receivedBy(clients, 'carol', tip.paymentHash);
    expect(received).toHaveLength(1);
    expect(received[0]?.is_confirmed).toBe(true);
    expect(received[0]?.received_mtokens).toBe('3210000');
    // Signed in the bundle by tiny-secp256k1's wasm, checked here by the domain's noble verifier.
    const signed = JSON.parse(tip.receipt ?? '{}');
    expect(verifyReceipt(signed, receiptPublicKey({ env: serviceEnv }))).toEqual({ ok: true });
    expect(signed.receipt).toMatchObject({ tipId: request.tipId, amountMsat: '3210000' });
  });
});
