import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { tipMessageOf, toSqsEntry } from '../../../../shared/adapters/sqs/tip-message.js';
import { parseReservationTag } from '../../../../shared/domain/reservation-tag.js';

/** A record as Lambda's SQS event source (and the local poller) delivers an entry. */
const delivered = (entry: ReturnType<typeof toSqsEntry>): SQSRecord =>
  ({
    messageId: 'm-1',
    body: entry.MessageBody,
    messageAttributes: Object.fromEntries(
      Object.entries(entry.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType, stringValue: value.StringValue },
      ]),
    ),
  }) as unknown as SQSRecord;

describe('tip messages on SQS', () => {
  it('carry the reservation as the TipstreamReservation attribute, read back by the payer', () => {
    const reservation = { feeLimitMsat: 10_000n, budgetKeys: ['platform#p#day#d', 'global#h'] };
    const entry = toSqsEntry({ body: '{"tipId":"t"}', reservation }, '0');
    expect(entry.MessageAttributes?.TipstreamReservation?.DataType).toBe('String');
    const message = tipMessageOf(delivered(entry));
    expect(message).toMatchObject({ messageId: 'm-1', body: '{"tipId":"t"}' });
    expect(parseReservationTag(message.reservationTag ?? '')).toEqual(reservation);
  });

  it('a tip without a reservation is sent and read without the attribute', () => {
    const entry = toSqsEntry({ body: '{}' }, '3');
    expect(entry).toEqual({ Id: '3', MessageBody: '{}' });
    expect(tipMessageOf(delivered(entry)).reservationTag).toBeUndefined();
  });
});
