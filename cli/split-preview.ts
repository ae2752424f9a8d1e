import { extname } from 'node:path';
import {
  parseSplitList,
  parseValueBlockJson,
  parseValueBlockXml,
  splitValue,
  type ValueRecipient,
} from '../shared/domain/value-split.js';
import { UsageError } from './errors.js';

/** A value block file, parsed, and what to send as `POST /v1/splits` fields. */
export interface SplitSource {
  recipients: ValueRecipient[];
  /** `{ valueBlock }` (XML string or JSON block) or `{ recipients }` (a plain list). */
  field: { valueBlock: unknown } | { recipients: unknown };
}

/** Reads a podcast:value block (XML, or JSON feed/Podcast Index shape) or a plain split list. */
export const parseSplitSource = (path: string, text: string): SplitSource => {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (extname(path).toLowerCase() === '.xml' || trimmed.startsWith('<')) {
    return { recipients: parseValueBlockXml(trimmed), field: { valueBlock: trimmed } };
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new UsageError(
      `${path} is neither XML (<podcast:value>) nor JSON (${(error as Error).message})`,
    );
  }
  if (Array.isArray(value))
    return { recipients: parseSplitList(value), field: { recipients: value } };
  return { recipients: parseValueBlockJson(value), field: { valueBlock: value } };
};

export interface SplitPreviewPart {
  index: number;
  name?: string;
  recipient: string;
  split: number;
  fee: boolean;
  amountMsat: bigint;
}

/**
 * The split the API will make (the same shared splitValue, in whole sats as the API does unless
 * the operator allows msat payments): fee recipients off the top, the rest by shares, largest
 * remainder, so the parts add up to the total exactly.
 */
export const previewSplit = (
  recipients: readonly ValueRecipient[],
  totalMsat: bigint,
  { minPartMsat = 1000n, allowMsat = false }: { minPartMsat?: bigint; allowMsat?: boolean } = {},
) => {
  const unit = allowMsat ? 1n : 1000n;
  const split = splitValue(totalMsat / unit, recipients, {
    minPartMsat: (minPartMsat + unit - 1n) / unit,
  });
  const part = (p: (typeof split.parts)[number]): SplitPreviewPart => ({
    index: p.index,
    ...(p.recipient.name ? { name: p.recipient.name } : {}),
    recipient: p.recipient.address,
    split: p.recipient.split,
    fee: p.recipient.fee,
    amountMsat: p.amountMsat * unit,
  });
  return { parts: split.parts.map(part), belowMinimum: split.belowMinimum.map(part) };
};
