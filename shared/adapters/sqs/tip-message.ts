import type { SQSRecord } from 'aws-lambda';
import { formatReservationTag } from '../../domain/reservation-tag.js';
import type { QueuedTip, TipMessage } from '../../ports/intake.js';

/** The message attribute that carries a tip's budget reservation (`reservation-tag.ts`). */
const RESERVATION_ATTRIBUTE = 'TipstreamReservation';

/** A tip as SQS takes it: the body, and the reservation as a message attribute. */
export const toSqsEntry = (tip: QueuedTip, id: string) => ({
  Id: id,
  MessageBody: tip.body,
  ...(tip.reservation && {
    MessageAttributes: {
      [RESERVATION_ATTRIBUTE]: {
        DataType: 'String',
        StringValue: formatReservationTag(tip.reservation),
      },
    },
  }),
});

/** A record of the payer's SQS event as the payer reads it. */
export const tipMessageOf = (record: SQSRecord): TipMessage => ({
  messageId: record.messageId,
  body: record.body,
  reservationTag: record.messageAttributes?.[RESERVATION_ATTRIBUTE]?.stringValue,
});
