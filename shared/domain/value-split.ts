import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as z from 'zod';
import type { MilliSats } from './brands.js';
import { preview } from './bytes.js';
import { ValidationError } from './errors.js';
import { describeValue, parseShape } from './input-shape.js';
import { validateCustomRecordType } from './keysend-records.js';
import { type Destination, parseLightningAddress } from './lightning-address.js';
import {
  checkMethodForDestination,
  PAYMENT_METHODS,
  type PaymentMethod,
  parsePaymentMethod,
} from './payment-method.js';
import { parseNodePubkey } from './pubkey.js';

/** One payable recipient of a podcast:value block (Lightning keysend to a node). */
export type ValueRecipient = {
  /** `node`: keysend to a pubkey; `lnaddress`: a Lightning Address the payer resolves. */
  type: 'node' | 'lnaddress';
  address: Destination;
  /** Shares (fee=false) or percent off the top (fee=true). */
  split: number;
  fee: boolean;
  name?: string;
  /** Decimal TLV type that routes the payment to a sub-wallet (e.g. "696969"). */
  customKey?: string;
  /** UTF-8 value sent in the customKey record. */
  customValue?: string;
  /** How this recipient's part is sent, as a tip's `method`; absent: keysend. */
  method?: PaymentMethod;
};

/** One recipient's part of a split payment; `index` is its position in the recipient list. */
type ValuePart = { recipient: ValueRecipient; amountMsat: MilliSats; index: number };

/** A split: payable parts, and parts too small to pay (both in recipient order). */
export type ValueSplit = { parts: ValuePart[]; belowMinimum: ValuePart[] };

// Splits are numbers of shares and may be fractional (spec: "splits should not be required to
// add up to 100"); they become exact integer weights in millionths of a share.
const SHARE_SCALE = 1_000_000;
const PERCENT = 100n * BigInt(SHARE_SCALE);
/** Largest split: a share count whose weight stays an exact integer in a double. */
const MAX_SPLIT = 1_000_000_000;

/**
 * Splits `totalMsat` as the podcast:value spec says: fee=true recipients take `split`% off the
 * top (floored to the msat), the rest is shared among fee=false recipients in the ratio of their
 * splits by largest remainder (ties to the earlier recipient), so the parts sum to the total.
 */
export const splitValue = (
  totalMsat: bigint,
  recipients: readonly ValueRecipient[],
  { minPartMsat }: { minPartMsat: bigint },
): ValueSplit => {
  if (typeof totalMsat !== 'bigint' || totalMsat <= 0n) {
    throw new ValidationError('totalMsat', `totalMsat ${totalMsat} must be a positive bigint`);
  }
  if (typeof minPartMsat !== 'bigint' || minPartMsat < 0n) {
    throw new ValidationError(
      'minPartMsat',
      `minPartMsat ${minPartMsat} must be a bigint of 0 or more`,
    );
  }
  const weights = validateRecipients(recipients);
  const amounts = recipients.map(() => 0n);
  const fees = indicesWhere(recipients, (recipient) => recipient.fee);
  const shares = indicesWhere(recipients, (recipient) => !recipient.fee);

  if (shares.length === 0) {
    // Only fee recipients, totalling exactly 100% (validateRecipients checked): the whole total
    // is theirs, and largest remainder keeps the floored msat from being lost.
    apportion(
      totalMsat,
      fees.map((index) => weights[index] ?? 0n),
    ).forEach((amount, position) => {
      amounts[fees[position] ?? 0] = amount;
    });
  } else {
    let rest = totalMsat;
    for (const index of fees) {
      const amount = (totalMsat * (weights[index] ?? 0n)) / PERCENT;
      amounts[index] = amount;
      rest -= amount;
    }
    apportion(
      rest,
      shares.map((index) => weights[index] ?? 0n),
    ).forEach((amount, position) => {
      amounts[shares[position] ?? 0] = amount;
    });
  }

  const split: ValueSplit = { parts: [], belowMinimum: [] };
  recipients.forEach((recipient, index) => {
    const amountMsat = (amounts[index] ?? 0n) as MilliSats;
    // A 0-msat part can never be paid, whatever the minimum.
    const payable = amountMsat > 0n && amountMsat >= minPartMsat;
    (payable ? split.parts : split.belowMinimum).push({ recipient, amountMsat, index });
  });
  return split;
};

/**
 * Refuses an element with two attributes of one local name (`address` and `x:address`): the
 * parser drops namespace prefixes, so one would silently replace the other, and what a reader of
 * the feed sees would not be what is paid.
 */
const assertNoAttributeTwice = (xml: string) => {
  let raw: unknown;
  try {
    raw = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      removeNSPrefix: false,
      processEntities: false,
      htmlEntities: false,
    }).parse(xml);
  } catch {
    return; // the parse below says what is wrong
  }
  const visit = (node: unknown, element: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, element);
      return;
    }
    if (!isRecord(node)) return;
    const seen = new Set<string>();
    for (const [key, child] of Object.entries(node)) {
      if (!key.startsWith('@_')) {
        visit(child, key);
        continue;
      }
      const local = key.slice(2).split(':').pop() ?? '';
      if (seen.has(local)) {
        throw new ValidationError(
          'value',
          `<${element}> has the attribute "${local}" twice (with and without a namespace prefix): keep one`,
        );
      }
      seen.add(local);
    }
  };
  visit(raw, 'value');
};

/** Parses a `<podcast:value type="lightning" method="keysend">` element into its recipients. */
export const parseValueBlockXml = (xml: string): ValueRecipient[] => {
  if (typeof xml !== 'string' || xml.trim() === '') {
    throw new ValidationError('value', 'value block XML is empty: send a <podcast:value> element');
  }
  // A value block needs no document type: refusing it keeps entity declarations (and their
  // expansion, a billion laughs) out of the parser altogether.
  if (/<!DOCTYPE/i.test(xml)) {
    throw new ValidationError(
      'value',
      'value block has a <!DOCTYPE …>: a podcast:value element needs no document type or entity declarations; remove it (write &amp; &lt; &gt; &quot; &apos; or character references like &#233; for special characters)',
    );
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new ValidationError(
      'value',
      `value block is not well-formed XML at line ${line}, column ${col}: ${msg}`,
    );
  }
  assertNoAttributeTwice(xml);
  let document: Record<string, unknown>;
  try {
    document = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      // The namespace prefix is whatever the feed declared ("podcast:" by convention).
      removeNSPrefix: true,
      parseAttributeValue: false,
      parseTagValue: false,
      ignoreDeclaration: true,
      ignorePiTags: true,
      // No entity processing in the parser; `attribute` decodes the predefined ones itself.
      processEntities: false,
      htmlEntities: false,
      // Attribute values as written, as the JSON shapes take them (a customValue is a wallet id).
      trimValues: false,
      isArray: (name) => name === 'valueRecipient',
    }).parse(xml) as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError(
      'value',
      `value block is not XML this parser can read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const roots = Object.keys(document);
  // An element with neither attributes nor children parses to its (empty) text.
  const block = typeof document.value === 'string' ? {} : document.value;
  if (roots.length !== 1 || !isRecord(block)) {
    const found = roots.map((name) => `<${name}>`).join(', ') || 'nothing';
    throw new ValidationError(
      'value',
      `expected one <podcast:value> element, got ${found}: send the value block on its own`,
    );
  }
  assertLightningKeysend(attribute(block, 'type'), attribute(block, 'method'), 'attribute');
  const children = Array.isArray(block.valueRecipient) ? block.valueRecipient : [];
  const recipients = children.map((child: unknown, offset) => {
    const position = offset + 1;
    const raw = isRecord(child) ? child : {};
    const name = attribute(raw, 'name');
    const where = label(position, name);
    return buildRecipient(
      {
        name,
        type: attribute(raw, 'type'),
        address: attribute(raw, 'address'),
        split: parseSplitAttribute(attribute(raw, 'split'), where, position),
        fee: parseFeeAttribute(attribute(raw, 'fee'), where, position),
        customKey: attribute(raw, 'customKey'),
        customValue: attribute(raw, 'customValue'),
        // Not in the podcast namespace: a Tipstream extension, as in the JSON shapes.
        method: attribute(raw, 'method'),
      },
      position,
    );
  });
  validateRecipients(recipients);
  return recipients;
};

export const JsonRecipientSchema = z.object({
  name: z.string('must be a string').nullish(),
  type: z.string('must be a string such as "node"'),
  address: z.string("must be the node's public key as 66 hex chars"),
  split: z.number('must be a number of shares'),
  fee: z.boolean('must be true or false').nullish(),
  // The Podcast Index API has sent customKey both as a string and as a number.
  customKey: z
    .union([z.string(), z.number()], 'must be a string of digits, e.g. "696969"')
    .nullish(),
  customValue: z.string('must be a string').nullish(),
  method: z.enum(PAYMENT_METHODS, 'must be "keysend", "amp" or "auto"').nullish(),
});

/**
 * Parses a JSON value block: the feed shape `{ type, method, recipients }` or the Podcast Index
 * API shape `{ model: { type, method }, destinations }`, into its recipients.
 */
export const parseValueBlockJson = (value: unknown): ValueRecipient[] => {
  if (!isRecord(value)) {
    throw new ValidationError(
      'value',
      `value block must be an object, got ${describeValue(value)}: send { type, method, recipients } or { model, destinations }`,
    );
  }
  let list: unknown;
  let listName: string;
  if ('model' in value) {
    if (!isRecord(value.model)) {
      throw new ValidationError(
        'model',
        `model must be an object { type, method }, got ${describeValue(value.model)}`,
      );
    }
    assertLightningKeysend(value.model.type, value.model.method, 'model');
    list = value.destinations;
    listName = 'destinations';
  } else {
    assertLightningKeysend(value.type, value.method, 'field');
    list = value.recipients;
    listName = 'recipients';
  }
  if (!Array.isArray(list)) {
    throw new ValidationError(
      listName,
      `${listName} must be an array of recipients, got ${describeValue(list)}`,
    );
  }
  const recipients = list.map((item: unknown, offset) => {
    const position = offset + 1;
    const raw = parseShape(JsonRecipientSchema, item, {
      prefix: `${label(position, nameOf(item))} `,
      field: `${listName}.${position}`,
    });
    return buildRecipient(
      {
        name: raw.name ?? undefined,
        type: raw.type,
        address: raw.address,
        split: raw.split,
        fee: raw.fee ?? false,
        customKey: raw.customKey === null ? undefined : raw.customKey,
        customValue: raw.customValue ?? undefined,
        method: raw.method ?? undefined,
      },
      position,
      listName,
    );
  });
  validateRecipients(recipients);
  return recipients;
};

export const SplitListItemSchema = z.strictObject({
  pubkey: z.string("must be the node's public key as 66 hex chars"),
  split: z.number('must be a number of shares'),
  fee: z.boolean('must be true or false').optional(),
  customKey: z.string('must be a string of digits, e.g. "696969"').optional(),
  customValue: z.string('must be a string').optional(),
  name: z.string('must be a string').optional(),
  method: z.enum(PAYMENT_METHODS, 'must be "keysend", "amp" or "auto"').optional(),
});

/** Parses the plain API split list `[{ pubkey, split, fee?, customKey?, customValue?, name?, method? }]`. */
export const parseSplitList = (list: unknown): ValueRecipient[] => {
  if (!Array.isArray(list)) {
    throw new ValidationError(
      'splits',
      `splits must be an array of { pubkey, split }, got ${describeValue(list)}`,
    );
  }
  const recipients = list.map((item: unknown, offset) => {
    const position = offset + 1;
    const raw = parseShape(SplitListItemSchema, item, {
      prefix: `${label(position, nameOf(item))} `,
      field: `splits.${position}`,
    });
    return buildRecipient(
      {
        name: raw.name,
        // The list's `pubkey` may be a Lightning Address too.
        type: raw.pubkey.includes('@') ? 'lnaddress' : 'node',
        address: raw.pubkey,
        split: raw.split,
        fee: raw.fee ?? false,
        customKey: raw.customKey,
        customValue: raw.customValue,
        method: raw.method,
      },
      position,
      'splits',
      'pubkey',
    );
  });
  validateRecipients(recipients);
  return recipients;
};

/**
 * Checks the rules a whole recipient list must meet and returns each recipient's split as an
 * integer weight (millionths of a share).
 */
const validateRecipients = (recipients: readonly ValueRecipient[]): bigint[] => {
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new ValidationError(
      'recipients',
      'value block has no recipients: add at least one type="node" valueRecipient',
    );
  }
  const weights = recipients.map((recipient, offset) => {
    const where = label(offset + 1, recipient.name);
    const field = `recipients.${offset + 1}.split`;
    const { split } = recipient;
    if (typeof split !== 'number' || !Number.isFinite(split) || split <= 0) {
      throw new ValidationError(
        field,
        `${where} split must be a positive number of shares, got ${describeValue(split)}`,
      );
    }
    if (split > MAX_SPLIT) {
      throw new ValidationError(
        field,
        `${where} split ${split} is above the largest split of ${MAX_SPLIT.toLocaleString('en-US')} shares: scale the splits down (only their ratios matter)`,
      );
    }
    const weight = BigInt(Math.round(split * SHARE_SCALE));
    if (weight === 0n) {
      throw new ValidationError(
        field,
        `${where} split ${split} is below the smallest share of ${1 / SHARE_SCALE}: raise it`,
      );
    }
    return weight;
  });

  const feeIndices = indicesWhere(recipients, (recipient) => recipient.fee);
  const feeWeight = feeIndices.reduce((sum, index) => sum + (weights[index] ?? 0n), 0n);
  const feeList = () =>
    feeIndices
      .map((index) => `${label(index + 1, recipients[index]?.name)} ${recipients[index]?.split}%`)
      .join(', ');
  if (feeWeight > PERCENT) {
    throw new ValidationError(
      'recipients',
      `fee=true recipients take ${formatShares(feeWeight)}% off the top (${feeList()}), more than 100%: lower their splits`,
    );
  }
  // Fee recipients take percentages; the rest has to go to someone, or sats would be lost.
  if (feeIndices.length === recipients.length && feeWeight !== PERCENT) {
    throw new ValidationError(
      'recipients',
      `every recipient is fee=true and their splits add up to ${formatShares(feeWeight)}%, so ${formatShares(PERCENT - feeWeight)}% has no recipient: add a fee=false recipient to share the rest, or make the fees add up to 100`,
    );
  }

  const seen = new Map<string, number>();
  recipients.forEach((recipient, offset) => {
    const key = JSON.stringify([recipient.address, recipient.customKey, recipient.customValue]);
    const first = seen.get(key);
    if (first !== undefined) {
      const sub =
        recipient.customKey === undefined
          ? ''
          : ` with customKey ${recipient.customKey} and customValue ${JSON.stringify(recipient.customValue)}`;
      throw new ValidationError(
        `recipients.${offset + 1}`,
        `${label(offset + 1, recipient.name)} pays the same destination as ${label(first + 1, recipients[first]?.name)} (${recipient.address}${sub}): merge them into one recipient with the sum of their splits`,
      );
    }
    seen.set(key, offset);
  });
  return weights;
};

type RawRecipient = {
  name: string | undefined;
  type: string | undefined;
  address: string | undefined;
  split: number;
  fee: boolean;
  customKey: string | number | undefined;
  customValue: string | undefined;
  method: string | undefined;
};

const buildRecipient = (
  raw: RawRecipient,
  position: number,
  listName = 'recipients',
  addressField = 'address',
): ValueRecipient => {
  const where = label(position, raw.name);
  const field = (name: string) => `${listName}.${position}.${name}`;
  if (raw.type === undefined) {
    throw new ValidationError(field('type'), `${where} has no type: set type="node"`);
  }
  if (raw.type !== 'node' && raw.type !== 'lnaddress') {
    throw new ValidationError(
      field('type'),
      `${where} has type ${preview(raw.type, 20)}; only type="node" (keysend) and type="lnaddress" (Lightning Address) recipients can be paid`,
    );
  }
  const type = raw.type;
  if (raw.address === undefined) {
    throw new ValidationError(
      field(addressField),
      `${where} has no ${addressField}: set it to ${type === 'node' ? "the node's public key (66 hex chars)" : 'the Lightning Address (name@domain)'}`,
    );
  }
  const address: Destination = rewrap(where, field(addressField), () =>
    type === 'node'
      ? parseNodePubkey(raw.address, addressField)
      : parseLightningAddress(raw.address, addressField),
  );
  const recipient: ValueRecipient = { type, address, split: raw.split, fee: raw.fee };
  if (raw.name !== undefined) recipient.name = raw.name;
  if (raw.customKey !== undefined) {
    const text = String(raw.customKey);
    if (!/^[0-9]{1,20}$/.test(text)) {
      throw new ValidationError(
        field('customKey'),
        `${where} customKey must be a TLV type in digits, e.g. "696969", got ${describeValue(raw.customKey)}`,
      );
    }
    const type = BigInt(text);
    rewrap(where, field('customKey'), () => validateCustomRecordType(type, 'customKey'));
    if (raw.customValue === undefined || raw.customValue === '') {
      throw new ValidationError(
        field('customValue'),
        `${where} has customKey ${type} but no customValue: add the value the recipient's node expects (its sub-wallet id), or remove customKey`,
      );
    }
    recipient.customKey = type.toString();
    recipient.customValue = raw.customValue;
  } else if (raw.customValue !== undefined) {
    throw new ValidationError(
      field('customValue'),
      `${where} has customValue ${JSON.stringify(preview(raw.customValue, 40))} but no customKey: add the customKey (TLV type) it is sent in, or remove customValue`,
    );
  }
  const method = rewrap(where, field('method'), () => parsePaymentMethod(raw.method, 'method'));
  if (method !== undefined) {
    rewrap(where, field('method'), () =>
      checkMethodForDestination(address, method, 'method', `a node ${addressField}`),
    );
    recipient.method = method;
  }
  return recipient;
};

const assertLightningKeysend = (
  type: unknown,
  method: unknown,
  style: 'attribute' | 'field' | 'model',
): void => {
  const name = (key: string) =>
    style === 'attribute' ? `${key}=` : style === 'model' ? `model.${key} ` : `${key} `;
  if (type !== 'lightning') {
    throw new ValidationError(
      style === 'model' ? 'model.type' : 'type',
      `value block ${name('type')}${JSON.stringify(type ?? null)} is not supported; only type="lightning" method="keysend" blocks can be paid`,
    );
  }
  if (method !== 'keysend') {
    throw new ValidationError(
      style === 'model' ? 'model.method' : 'method',
      `value block ${name('method')}${JSON.stringify(method ?? null)} is not supported; only type="lightning" method="keysend" blocks can be paid`,
    );
  }
};

const parseSplitAttribute = (raw: string | undefined, where: string, position: number): number => {
  const field = `recipients.${position}.split`;
  if (raw === undefined) {
    throw new ValidationError(field, `${where} has no split: set split to its number of shares`);
  }
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw.trim())) {
    throw new ValidationError(
      field,
      `${where} split must be a positive number of shares, e.g. split="50", got ${JSON.stringify(preview(raw, 20))}`,
    );
  }
  return Number(raw);
};

const parseFeeAttribute = (raw: string | undefined, where: string, position: number): boolean => {
  if (raw === undefined) return false;
  const value = raw.trim();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ValidationError(
    `recipients.${position}.fee`,
    `${where} fee must be "true" or "false", got ${JSON.stringify(preview(raw, 20))}`,
  );
};

/** Largest-remainder apportionment of `amount` by integer `weights`; ties go to the lower index. */
const apportion = (amount: bigint, weights: readonly bigint[]): bigint[] => {
  const total = weights.reduce((sum, weight) => sum + weight, 0n);
  const floors = weights.map((weight) => (amount * weight) / total);
  let left = amount - floors.reduce((sum, part) => sum + part, 0n);
  const order = weights
    .map((weight, index) => ({ index, remainder: (amount * weight) % total }))
    .sort((a, b) =>
      a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
    );
  for (const { index } of order) {
    if (left === 0n) break;
    floors[index] = (floors[index] ?? 0n) + 1n;
    left -= 1n;
  }
  return floors;
};

const indicesWhere = <T>(items: readonly T[], test: (item: T) => boolean): number[] =>
  items.flatMap((item, index) => (test(item) ? [index] : []));

const label = (position: number, name: string | undefined): string =>
  `recipient ${position}${name ? ` (${JSON.stringify(preview(name, 40))})` : ''}`;

const nameOf = (item: unknown): string | undefined =>
  isRecord(item) && typeof item.name === 'string' ? item.name : undefined;

const attribute = (element: Record<string, unknown>, name: string): string | undefined => {
  const value = element[name];
  return typeof value === 'string' ? decodeReferences(value, name) : undefined;
};

const PREDEFINED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/**
 * The five predefined entities and character references, decoded in one pass (no expansion can
 * grow: a reference becomes one character); any other `&name;` stays as written.
 */
const decodeReferences = (value: string, name: string): string =>
  value.replace(
    /&(?:#x([0-9a-fA-F]{1,8})|#([0-9]{1,10})|([a-z]{2,4}));/g,
    (whole, hex, dec, entity) => {
      if (entity !== undefined) return PREDEFINED_ENTITIES[entity] ?? whole;
      const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(dec);
      // XML 1.0's Char production: what a character reference may stand for.
      const allowed =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!allowed) {
        throw new ValidationError(
          name,
          `${name} has the character reference ${whole}, which is not a character XML allows: remove it`,
        );
      }
      return String.fromCodePoint(code);
    },
  );

const formatShares = (weight: bigint): string => String(Number(weight) / SHARE_SCALE);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const rewrap = <T>(where: string, field: string, fn: () => T): T => {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(field, `${where} ${error.message}`, { cause: error });
    }
    throw error;
  }
};
