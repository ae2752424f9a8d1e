import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface TipsQueueProps {
  /** The dead-letter queue's construct id, beside this queue's. */
  deadLetterQueueId: string;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** Timeout of the function consuming the queue; visibility is 6× it (AWS's rule for SQS → Lambda). */
  consumerTimeout: Duration;
}

const secure = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;

/**
 * The tips queue and its dead-letter queue: both encrypted and TLS-only, redriven after
 * `maxReceiveCount` receives, the DLQ kept 14 days (as long as an old preimage key must stay).
 * The DLQ is created beside the queue, not beneath it, so both keep the logical IDs and node
 * ids they had before this construct (the payer's event source mapping is named after the
 * queue's node id: a new name would make CloudFormation create a second mapping).
 */
export class TipsQueue extends sqs.Queue {
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: TipsQueueProps) {
    const deadLetters = new sqs.Queue(scope, props.deadLetterQueueId, {
      ...secure,
      retentionPeriod: Duration.days(14),
    });
    super(scope, id, {
      ...secure,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
    this.deadLetters = deadLetters;
  }
}
