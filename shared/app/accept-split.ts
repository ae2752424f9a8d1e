import { ValidationError } from '../domain/errors.js';
import { verifyBoostSignature } from '../domain/nostr-boost.js';
import { recipientField } from '../domain/tip-request.js';
import {
  parseSplitList,
  parseValueBlockJson,
  parseValueBlockXml,
  splitValue,
} from '../domain/value-split.js';
import type { PlatformRecord } from '../ports/intake.js';
import { type AcceptBatchResult, acceptBatch, type BatchRow } from './accept-batch.js';
import type { IntakeDeps } from './accept-tip.js';
import { InvalidRequestError } from './errors.js';

const SPLIT_FIELDS = [
  'amountMsat',
  'valueBlock',
  'recipients',
  'boostagram',
  'message',
  'senderName',
  'minPartMsat',
  'authentication',
];

/** A whole msat amount as JSON carries it: a safe integer, or a string of digits. */
const wholeMsat = (value: unknown): bigint | undefined =>
  (typeof value === 'number' && Number.isSafeInteger(value)) ||
  (typeof value === 'string' && /^[0-9]{1,20}$/.test(value))
    ? BigInt(value)
    : undefined;

/**
 * A Nostr-signed boost, checked before anything is split: it goes to every part unchanged, so it
 * must already say what the split would add (`value_msat_total`, the message, the sender's name).
 * `undefined` for an unsigned boost.
 */
const signedBoost = (
  boost: object,
  totalMsat: bigint,
  extra: { message: unknown; senderName: unknown },
): Record<string, unknown> | undefined => {
  const fields = boost as Record<string, unknown>;
  if (fields.signature === undefined && fields.sender_id === undefined) return undefined;
  const refuse = (field: string, message: string): never => {
    throw new InvalidRequestError(message, [{ field, message }]);
  };
  try {
    verifyBoostSignature(fields);
  } catch (error) {
    if (error instanceof ValidationError) refuse(error.field, error.message);
    throw error;
  }
  if (extra.message !== undefined) {
    refuse(
      'message',
      'message cannot be added to a signed boostagram: the sender signs it as boostagram.message',
    );
  }
  if (fields.value_msat_total !== undefined && fields.value_msat_total !== Number(totalMsat)) {
    refuse(
      'boostagram.value_msat_total',
      `boostagram.value_msat_total ${String(fields.value_msat_total)} is not the split's amountMsat ${totalMsat}: the sender signs the total it sends`,
    );
  }
  return fields;
};

/**
 * Splits one boost over a podcast:value block (XML or JSON) or a recipient list, and accepts the
 * parts as one batch: fee recipients off the top, the rest by ratio, largest remainder so the parts
 * add up to the total exactly; parts below the minimum are reported, not paid. Every part carries
 * the whole boostagram (bLIP-10). Domain parsers throw ValidationError for a bad value block.
 */
export const acceptSplit = async (
  input: { platform: PlatformRecord; idempotencyKey: string; body: Record<string, unknown> },
  deps: IntakeDeps,
) => {
  const {
    amountMsat,
    valueBlock,
    recipients,
    boostagram,
    message,
    senderName,
    minPartMsat,
    authentication,
  } = input.body;
  const unknown = Object.keys(input.body).filter((field) => !SPLIT_FIELDS.includes(field));
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      `unknown field(s) ${unknown.join(', ')}; a split takes amountMsat, valueBlock or recipients, boostagram, message, senderName, minPartMsat, authentication`,
    );
  }
  const list =
    typeof valueBlock === 'string'
      ? parseValueBlockXml(valueBlock)
      : valueBlock !== undefined
        ? parseValueBlockJson(valueBlock)
        : parseSplitList(recipients);
  const total = wholeMsat(amountMsat) ?? -1n;
  if (total <= 0n || (!deps.policy.allowMsat && total % 1000n !== 0n)) {
    throw new InvalidRequestError(
      'amountMsat must be a whole number of sats (a multiple of 1000 msat) greater than 0',
      [{ field: 'amountMsat', message: 'must be a whole number of sats greater than 0' }],
    );
  }
  if (minPartMsat !== undefined && wholeMsat(minPartMsat) === undefined) {
    throw new InvalidRequestError('minPartMsat must be a whole number of msat', [
      { field: 'minPartMsat', message: 'must be a whole number of msat' },
    ]);
  }
  // Without msat payments the split is made in whole sats, so every part is payable and the
  // parts still add up to the total exactly.
  const unit = deps.policy.allowMsat ? 1n : 1000n;
  const minimum = wholeMsat(minPartMsat) ?? 1000n;
  const split = splitValue(total / unit, list, { minPartMsat: (minimum + unit - 1n) / unit });
  const extraBoost = typeof boostagram === 'object' && boostagram !== null ? boostagram : {};
  const signed = signedBoost(extraBoost, total, { message, senderName });
  const rows: BatchRow[] = split.parts.map((part) => ({
    line: part.index + 1,
    part: { index: part.index, count: list.length },
    body: {
      ...recipientField(part.recipient.address),
      amountMsat: (part.amountMsat * unit).toString(),
      // bLIP-10: every part carries the whole boost, so each recipient sees what was sent; a
      // signed boost exactly as its sender signed it (any field added would break the signature).
      boostagram: signed ?? {
        action: 'boost',
        ...extraBoost,
        value_msat_total: Number(total),
        ...(part.recipient.name ? { name: part.recipient.name } : {}),
        ...(typeof message === 'string' ? { message } : {}),
      },
      ...(typeof senderName === 'string' ? { senderName } : {}),
      ...(authentication !== undefined ? { authentication } : {}),
      ...(part.recipient.customKey && part.recipient.customValue
        ? { customRecord: { type: part.recipient.customKey, value: part.recipient.customValue } }
        : {}),
      ...(part.recipient.method ? { method: part.recipient.method } : {}),
    },
  }));
  const result: AcceptBatchResult = await acceptBatch(
    { platform: input.platform, idempotencyKey: input.idempotencyKey, kind: 'split', rows },
    deps,
  );
  const parts = split.parts.map((part, i) => ({
    tipId: result.kind === 'accepted' ? result.tipIds[i] : undefined,
    recipient: part.recipient.address,
    name: part.recipient.name,
    fee: part.recipient.fee,
    amountMsat: (part.amountMsat * unit).toString(),
  }));
  const belowMinimum = split.belowMinimum.map((part) => ({
    recipient: part.recipient.address,
    name: part.recipient.name,
    amountMsat: (part.amountMsat * unit).toString(),
    reason: `below the minimum part of ${minimum} msat: not paid`,
  }));
  return { result, parts, belowMinimum };
};
