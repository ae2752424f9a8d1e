import type { Command } from 'commander';
import type { DeadLetter } from '../../shared/adapters/sqs/dead-letter-queue.js';
import type { CliContext } from '../context.js';
import { onCtrlC } from '../ctrl-c.js';
import type { QueueFlags } from '../dead-letters.js';
import { EXIT } from '../exit-codes.js';
import { describeNode, formatCount, renderTable, satsLabel, shortKey } from '../format.js';
import { type ActionRunner, parsePositiveInt } from './common.js';

const letterRows = (letters: readonly DeadLetter[], names: ReadonlyMap<string, string>) =>
  letters.map((letter) => [
    shortKey(letter.messageId, 8),
    letter.sentAt ?? '',
    letter.receiveCount === undefined ? '' : String(letter.receiveCount),
    letter.tipId ?? `(not a tip request: ${letter.body.slice(0, 40)})`,
    letter.recipient ? describeNode(letter.recipient, names) : '',
    letter.amountMsat && /^[0-9]+$/.test(letter.amountMsat) ? satsLabel(letter.amountMsat) : '',
  ]);

const HEAD = ['message', 'sent', 'receives', 'tip', 'recipient', 'amount'];

/** pubkey → name of the local stack's nodes (dead letters are local when the stack is). */
const stackNames = async (ctx: CliContext) =>
  new Map((await ctx.stack())?.lightning.nodes.map((node) => [node.pubkey, node.name]) ?? []);

/** The SQS code, loaded only by the dlq commands (it costs every other command start-up time). */
const deadLetters = async () => ({
  ...(await import('../dead-letters.js')),
  ...(await import('../../shared/adapters/sqs/dead-letter-queue.js')),
});

const dlqListCommand = async (ctx: CliContext, options: QueueFlags & { max: string }) => {
  const max = parsePositiveInt(options.max, '--max');
  const { listDeadLetters, openDeadLetterQueue, queueDepth } = await deadLetters();
  const { sqs, dlqUrl } = openDeadLetterQueue(options, ctx.env, await ctx.stack());
  try {
    const letters = await listDeadLetters(sqs, dlqUrl, { max });
    const depth = await queueDepth(sqs, dlqUrl);
    if (ctx.json) {
      ctx.printJson({
        dlqUrl,
        approximateCount: depth.visible + depth.inFlight,
        messages: letters,
      });
      return;
    }
    ctx.print(
      `${dlqUrl}: ${formatCount(letters.length)} message(s)${letters.length === max ? ` (first ${max}; --max for more)` : ''}`,
    );
    if (letters.length === 0) return;
    ctx.print(renderTable(HEAD, letterRows(letters, await stackNames(ctx))));
    ctx.print(
      'they are still in the queue (listing returns them at once); move them back with: tipstream dlq redrive',
    );
  } finally {
    sqs.destroy();
  }
};

const dlqRedriveCommand = async (ctx: CliContext, options: QueueFlags & { max?: string }) => {
  const max = options.max === undefined ? undefined : parsePositiveInt(options.max, '--max');
  const { openDeadLetterQueue, redriveDeadLetters, redriveTarget } = await deadLetters();
  const { sqs, dlqUrl, configuredQueue } = openDeadLetterQueue(options, ctx.env, await ctx.stack());
  // Ctrl-C finishes the batch in hand (sent, then deleted) and stops; a second one leaves at
  // once, which at worst leaves a sent message in the DLQ too (harmless: see redriveDeadLetters).
  const abort = new AbortController();
  const stopListening = onCtrlC(
    () => {
      abort.abort();
      ctx.io.stderr.write('\nstopping after the messages in hand (Ctrl-C again to quit now)…\n');
    },
    () => process.exit(EXIT.DETACHED),
  );
  try {
    const queueUrl = await redriveTarget(sqs, dlqUrl, options.to, configuredQueue);
    const result = await redriveDeadLetters(sqs, dlqUrl, queueUrl, {
      ...(max === undefined ? {} : { max }),
      signal: abort.signal,
    });
    if (abort.signal.aborted) ctx.fail(EXIT.DETACHED);
    if (result.failed.length > 0 || result.notDeleted.length > 0 || result.stopped) {
      ctx.fail(EXIT.FAILED);
    }
    if (ctx.json) {
      ctx.printJson({ dlqUrl, queueUrl, ...result });
      return;
    }
    const names = await stackNames(ctx);
    ctx.print(`moved ${formatCount(result.moved.length)} message(s) from ${dlqUrl} to ${queueUrl}`);
    if (result.stopped) {
      ctx.print(
        `stopped early: ${result.stopped}; what is left is still in the DLQ ("tipstream dlq list")`,
      );
    }
    if (result.moved.length > 0) ctx.print(renderTable(HEAD, letterRows(result.moved, names)));
    if (result.notDeleted.length > 0) {
      ctx.print(
        `${result.notDeleted.length} were sent but could not be deleted from the DLQ: they will be listed again; redriving them again is harmless (the payer pays a tip id at most once)`,
      );
      ctx.print(renderTable(HEAD, letterRows(result.notDeleted, names)));
    }
    if (result.failed.length > 0) {
      ctx.print(`${result.failed.length} could not be sent and are still in the DLQ:`);
      ctx.print(
        renderTable(
          ['message', 'tip', 'error'],
          result.failed.map((letter) => [
            shortKey(letter.messageId),
            letter.tipId ?? '',
            letter.error,
          ]),
        ),
      );
    }
  } finally {
    stopListening();
    sqs.destroy();
  }
};

export const registerDlq = (program: Command, run: ActionRunner) => {
  const dlq = program
    .command('dlq')
    .description("the tips queue's dead-letter queue (SQS): tip requests the payer gave up on");
  dlq
    .command('list')
    .description('show the dead letters without consuming them (they return to the queue at once)')
    .option(
      '--dlq <url>',
      "dead-letter queue URL (default: TIPSTREAM_TIPS_DLQ_URL or the local stack's)",
    )
    .option('--max <count>', 'list at most this many', '1000')
    .action(run(dlqListCommand));
  dlq
    .command('redrive')
    .description(
      'move the dead letters back to the tips queue, each sent once then deleted from the DLQ',
    )
    .option(
      '--dlq <url>',
      "dead-letter queue URL (default: TIPSTREAM_TIPS_DLQ_URL or the local stack's)",
    )
    .option(
      '--to <url>',
      "queue to send them to (default: the DLQ's source queue, or TIPSTREAM_TIPS_QUEUE_URL)",
    )
    .option('--max <count>', 'move at most this many')
    .action(run(dlqRedriveCommand));
  return dlq;
};
