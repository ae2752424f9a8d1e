import type { SQSEvent } from 'aws-lambda';

/**
 * An SQS event of one record whose body is not a tip: the payer records the rejection (one
 * DynamoDB write) and reports the record failed.
 */
export const malformedTipEvent: SQSEvent = {
  Records: [
    {
      messageId: 'm-1',
      receiptHandle: 'r-1',
      body: '{"not":"a tip"}',
      attributes: { ApproximateReceiveCount: '1' } as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:tips',
      awsRegion: 'eu-west-1',
    },
  ],
};
