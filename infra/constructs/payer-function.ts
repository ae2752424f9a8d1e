import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TipstreamFunction, type TipstreamFunctionProps } from './tipstream-function.js';

export interface PayerFunctionProps extends Omit<TipstreamFunctionProps, 'service'> {
  /** The tips queue; its visibility timeout must be 6× this function's timeout. */
  queue: sqs.IQueue;
  /** Messages per invocation. */
  batchSize: number;
  /** Invocations at once: protects the LND node. */
  maxConcurrency: number;
}

/**
 * The payer, fed by the tips queue with partial batch responses (`ReportBatchItemFailures`: only
 * the records the handler reports are retried) and a concurrency cap.
 */
export class PayerFunction extends TipstreamFunction {
  constructor(scope: Construct, id: string, props: PayerFunctionProps) {
    const { queue, batchSize, maxConcurrency, ...functionProps } = props;
    super(scope, id, { ...functionProps, service: 'payer' });
    this.addEventSource(
      new SqsEventSource(queue, {
        batchSize,
        reportBatchItemFailures: true,
        maxConcurrency,
      }),
    );
  }
}
