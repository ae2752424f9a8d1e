import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Grouping } from './grouping.js';

export interface MonitoringProps {
  payer: IFunction;
  tipsQueue: IQueue;
  tipsDlq: IQueue;
  /** Where alarms are emailed (optional; the topic exists either way). */
  alarmEmail?: string;
}

/** A dashboard of what an operator watches, and alarms on what needs a person, to one topic. */
export class Monitoring extends Grouping {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(
    scope: Construct,
    id: string,
    { payer, tipsQueue, tipsDlq, alarmEmail }: MonitoringProps,
  ) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', {
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'AlarmsKey', 'alias/aws/sns'),
    });
    if (alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    const notify = new cloudwatchActions.SnsAction(this.topic);

    // The payer's own metrics (functions/payer/runtime.ts, Powertools EMF).
    const payerMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'Tipstream',
        metricName,
        dimensionsMap: { service: 'tipstream-payer' },
        statistic,
        period: Duration.minutes(5),
      });
    const paid = payerMetric('TipsPaid', 'Sum');
    const failed = payerMetric('TipsFailed', 'Sum');
    const failureRate = new cloudwatch.MathExpression({
      expression: 'IF(paid + failed > 0, 100 * failed / (paid + failed), 0)',
      usingMetrics: { paid, failed },
      label: 'failed tips, %',
      period: Duration.minutes(5),
    });

    const alarms = [
      new cloudwatch.Alarm(this, 'DeadLetters', {
        alarmDescription:
          'Tip messages reached the dead-letter queue: see README, "Redriving the DLQ"',
        metric: tipsDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'OldestTipWaiting', {
        alarmDescription:
          'A tip has waited in the queue for over 5 minutes: is the payer failing or throttled?',
        metric: tipsQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
        threshold: 300,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'FailureRate', {
        alarmDescription: 'Over 20% of tips failed in 15 minutes: check liquidity and the LND node',
        metric: failureRate,
        threshold: 20,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'StuckInLnd', {
        alarmDescription:
          'LND has kept a tip in flight for over 10 minutes: run "tipstream stuck" for its view (attempts, channels carrying the hash, timeout height) and README, "Tips stuck in flight"',
        // Emitted by every reconciler run: the tips it found stuck (flagged) that run.
        metric: new cloudwatch.Metric({
          namespace: 'Tipstream',
          metricName: 'TipsStuckInLnd',
          dimensionsMap: { service: 'tipstream-reconciler' },
          statistic: 'Maximum',
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'PayerErrors', {
        alarmDescription: 'The payer function itself is failing (not individual tips)',
        metric: payer.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(notify);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Tips paid / failed',
            left: [paid, failed],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Failure rate', left: [failureRate], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Fees (msat)',
            left: [payerMetric('FeeMsat', 'Sum')],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Pay latency (ms)',
            left: [payerMetric('PayLatency', 'p50'), payerMetric('PayLatency', 'p95')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Queue depth',
            left: [
              tipsQueue.metricApproximateNumberOfMessagesVisible(),
              tipsDlq.metricApproximateNumberOfMessagesVisible(),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Oldest tip waiting (s)',
            left: [tipsQueue.metricApproximateAgeOfOldestMessage()],
            width: 8,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
  }
}
