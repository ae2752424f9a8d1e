import { createSqsClient } from '../shared/adapters/aws-clients.js';
import { LOCAL_CREDENTIALS } from '../shared/config/aws.js';
import type { StackFile } from '../shared/config/stack-file.js';
import { UnreachableError, UsageError } from './errors.js';
import { isLoopbackUrl } from './target.js';

export interface QueueFlags {
  dlq?: string;
  to?: string;
}

/**
 * The SQS to work on and the dead-letter queue: `--dlq`, then TIPSTREAM_TIPS_DLQ_URL, then the
 * local stack's. Loopback queues (ElasticMQ) are reached at their own origin with the local
 * credentials; others through AWS with the environment's credentials.
 */
export const openDeadLetterQueue = (
  flags: QueueFlags,
  env: Record<string, string | undefined>,
  stack: StackFile | undefined,
) => {
  const dlqUrl = flags.dlq ?? (env.TIPSTREAM_TIPS_DLQ_URL || undefined) ?? stack?.sqs.tipsDlqUrl;
  if (!dlqUrl) {
    throw new UnreachableError(
      'no dead-letter queue to work on: start the local stack ("npm start" or "npm run stack:up"), or set TIPSTREAM_SQS_ENDPOINT, TIPSTREAM_TIPS_QUEUE_URL and TIPSTREAM_TIPS_DLQ_URL, or pass --dlq <queue url> (AWS credentials from the environment)',
    );
  }
  try {
    new URL(dlqUrl);
  } catch {
    throw new UsageError(`--dlq ${dlqUrl} is not a queue URL`);
  }
  const local = isLoopbackUrl(dlqUrl);
  const endpoint = env.TIPSTREAM_SQS_ENDPOINT || (local ? new URL(dlqUrl).origin : undefined);
  const region =
    env.TIPSTREAM_AWS_REGION ||
    (local ? stack?.region : undefined) ||
    env.AWS_REGION ||
    /sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(dlqUrl)?.[1] ||
    'us-east-1';
  const sqs = createSqsClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
    maxAttempts: 2,
  });
  const configuredQueue =
    (env.TIPSTREAM_TIPS_DLQ_URL || stack?.sqs.tipsDlqUrl) === dlqUrl
      ? ((env.TIPSTREAM_TIPS_QUEUE_URL || undefined) ?? stack?.sqs.tipsQueueUrl)
      : undefined;
  return { sqs, dlqUrl, configuredQueue };
};
