import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TipstreamFunction } from './tipstream-function.js';

export interface WebhookDispatcherProps {
  /** The tables whose streams are the events' source (tips, batches). */
  streams: ITable[];
  environment: Record<string, string>;
  logRetention: RetentionDays;
  alarmTopic: sns.ITopic;
}

/**
 * The webhook dispatcher: one function fed by the tips and batches streams (a batch that keeps
 * failing is split to find the bad record, retried, then its position goes to its own DLQ, never
 * silently skipped) and by a schedule every minute that sends due retries. Alarms: anything in
 * its DLQ (stream records whose events could not be recorded), and invocation errors.
 */
export class WebhookDispatcher extends Construct {
  readonly fn: TipstreamFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: WebhookDispatcherProps) {
    super(scope, id);
    this.fn = new TipstreamFunction(scope, 'Dispatcher', {
      service: 'dispatcher',
      timeout: Duration.minutes(2),
      environment: props.environment,
      logRetention: props.logRetention,
    });
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the stream event sources' on-failure destination (a DLQ itself): its messages are stream positions kept for an operator to replay.",
    });
    for (const table of props.streams) {
      this.fn.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: 100,
          bisectBatchOnError: true,
          retryAttempts: 20,
          maxRecordAge: Duration.hours(24),
          onFailure: new SqsDlq(this.deadLetters),
        }),
      );
    }
    new events.Rule(this, 'RetrySchedule', {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.fn)],
    });
    const alarms = [
      new cloudwatch.Alarm(this, 'StreamDeadLetters', {
        alarmDescription:
          'Ledger changes whose webhook events could not be recorded reached the dispatcher DLQ: their positions are in the messages; replay them after fixing the cause',
        metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'Errors', {
        alarmDescription: 'The webhook dispatcher keeps failing: check its logs',
        metric: this.fn.metricErrors({ period: Duration.minutes(5) }),
        threshold: 3,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
  }
}
