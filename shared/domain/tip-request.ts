import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import * as z from 'zod';
import { parseAmountMsat } from './amounts.js';
import type { MilliSats, PlatformId, TipId } from './brands.js';
import { preview } from './bytes.js';
import { canonicalJson } from './canonical-json.js';
import { TipValidationError, ValidationError } from './errors.js';
import {
  PLATFORM_ID_PATTERN,
  PLATFORM_ID_RULE,
  parsePlatformId,
  parseTipId,
  TIP_ID_PATTERN,
  TIP_ID_RULE,
} from './ids.js';
import { valueAtPath } from './input-shape.js';
import {
  BOOSTAGRAM_RECORD_TYPE,
  encodedRecordsSize,
  TEXT_MESSAGE_RECORD_TYPE,
  TIPSTREAM_RECORD_TYPE,
  type TlvRecord,
  validateCustomRecordType,
} from './keysend-records.js';
import { type Destination, parseLightningAddress } from './lightning-address.js';
import { verifyBoostSignature } from './nostr-boost.js';
import {
  checkMethodForDestination,
  PAYMENT_METHODS,
  type PaymentMethod,
} from './payment-method.js';
import { parseNodePubkey } from './pubkey.js';
import { tipstreamRecordValueBytes } from './tipstream-record.js';

/** The only queue message schema version this payer understands. */
const TIP_REQUEST_VERSION = 1;

/**
 * The queue message of one tip, as every producer builds it: the schema version, then the tip's
 * ids and fields (unvalidated: `parseTipRequest` decides, on the way in and in the payer).
 */
export const buildTipRequest = <T extends { tipId: string; platformId: string }>(
  fields: T,
): { version: typeof TIP_REQUEST_VERSION } & T => ({ version: TIP_REQUEST_VERSION, ...fields });
/** Longest text message, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 500;
/** Longest sender name, in characters. */
const MAX_SENDER_NAME_CHARS = 64;

/** What the operator allows a tip to be. */
export type TipPolicy = {
  maxMsat: bigint;
  allowMsat: boolean;
  /** Bytes of custom records a tip may carry (see DEFAULT_CUSTOM_RECORDS_BUDGET_BYTES). */
  customRecordsBudgetBytes: number;
};

const idString = (why = '') =>
  z
    .string(`must be a string of ${TIP_ID_RULE}${why}`)
    .regex(TIP_ID_PATTERN, { error: `must be ${TIP_ID_RULE}${why}` });
/** Half of a UTF-16 surrogate pair on its own: UTF-8 cannot carry it (it would arrive as U+FFFD). */
const LONE_SURROGATE = /\p{Surrogate}/u;
const text = z.string('must be a string').refine((value) => !LONE_SURROGATE.test(value), {
  error:
    'must be valid Unicode text: it has half of a UTF-16 surrogate pair, which UTF-8 cannot carry',
});
/** A record value sent on the wire: LND cannot carry an empty TLV value in a payment. */
const nonEmptyText = text.min(1, { error: 'must not be empty: omit it instead' });
const wholeNumber = z.number('must be a number').int('must be a whole number').nonnegative({
  error: 'must not be negative',
});

/** bLIP-10 boostagram (record 7629169), restricted to the fields Tipstream passes on. */
export const BoostagramSchema = z.strictObject(
  {
    action: z.enum(['boost', 'stream', 'auto'], 'must be "boost", "stream" or "auto"'),
    app_name: text.optional(),
    app_version: text.optional(),
    podcast: text.optional(),
    episode: text.optional(),
    // Podcast Index feed ids are numbers; some apps send them as strings.
    feedID: z.union([wholeNumber, text], 'must be a number or a string').optional(),
    guid: text.optional(),
    episode_guid: text.optional(),
    ts: wholeNumber.optional(),
    message: text.optional(),
    sender_name: text.optional(),
    name: text.optional(),
    value_msat_total: wholeNumber.optional(),
    url: text.optional(),
    // Nostr-signed boosts: checked by verifyBoostSignature (so a problem names the field).
    sender_id: text.optional(),
    signature: text.optional(),
  },
  'must be an object',
);
type Boostagram = z.infer<typeof BoostagramSchema>;

/**
 * How the recipient can tell the tip came from this operator. `shared-secret`: the preimage is
 * derived from the ECDH secret of the operator's and the recipient's node keys, and the Tipstream
 * record (type 1414090835) says which operator and tip id to check it with. `none`: a plain
 * keysend, whose preimage only the operator's keys derive but which the recipient cannot check.
 */
export const TipAuthenticationSchema = z.enum(
  ['shared-secret', 'none'],
  'must be "shared-secret" or "none"',
);
/** A podcast:value recipient's customKey/customValue. */
export const CustomRecordRequestSchema = z.strictObject(
  {
    type: z
      .string('must be a string of digits, e.g. "696969"')
      .regex(/^[0-9]{1,20}$/, { error: 'must be a string of digits, e.g. "696969"' }),
    value: nonEmptyText,
  },
  'must be an object',
);
type CustomRecordRequest = z.infer<typeof CustomRecordRequestSchema>;

/** Marks a tip as part `index` of `count` of one split payment. */
const SplitOfSchema = z.strictObject(
  {
    splitId: idString(),
    index: wholeNumber,
    count: z.number('must be a number').int('must be a whole number').positive({
      error: 'must be at least 1',
    }),
  },
  'must be an object',
);
type SplitOf = z.infer<typeof SplitOfSchema>;

/** How the tip is sent: `keysend` (the default), `amp`, or `auto` (AMP when one path cannot carry it). */
const PaymentMethodSchema = z.enum(PAYMENT_METHODS, 'must be "keysend", "amp" or "auto"');

/** The tips queue message, version 1. */
export const TipRequestSchema = z.strictObject({
  version: z.literal(TIP_REQUEST_VERSION),
  tipId: idString(' (it is the idempotency key)'),
  platformId: z.string(`must be a string of ${PLATFORM_ID_RULE}`).regex(PLATFORM_ID_PATTERN, {
    error: `must be ${PLATFORM_ID_RULE}`,
  }),
  recipientPubkey: z.string("must be the node's public key as 66 hex chars").optional(),
  /** Instead of `recipientPubkey`: a Lightning Address, resolved by the payer. */
  recipientAddress: z.string('must be a Lightning Address (name@domain) as a string').optional(),
  amountMsat: z.union(
    [z.number(), z.string()],
    'must be a number or a decimal string of msat, e.g. 21000 or "21000"',
  ),
  message: nonEmptyText.optional(),
  boostagram: BoostagramSchema.optional(),
  customRecord: CustomRecordRequestSchema.optional(),
  batchId: idString().optional(),
  splitOf: SplitOfSchema.optional(),
  senderName: text
    .min(1, { error: 'must not be empty: omit it instead' })
    .max(MAX_SENDER_NAME_CHARS, { error: `must be at most ${MAX_SENDER_NAME_CHARS} characters` })
    .optional(),
  authentication: TipAuthenticationSchema.optional(),
  method: PaymentMethodSchema.optional(),
});
type TipRequest = z.infer<typeof TipRequestSchema>;

/** A validated tip, ready to pay: branded ids, checked amount and its final-hop custom records. */
export type Tip = {
  tipId: TipId;
  platformId: PlatformId;
  /** A node pubkey, or a Lightning Address (`recipientAddress`) the payer resolves. */
  recipient: Destination;
  amountMsat: MilliSats;
  /** Custom records, ascending by type; the keysend record is added when paying. */
  records: TlvRecord[];
  message?: string;
  boostagram?: Boostagram;
  customRecord?: CustomRecordRequest;
  batchId?: string;
  splitOf?: SplitOf;
  senderName?: string;
  /** Set when the preimage is the shared-secret one (the Tipstream record is added when paid). */
  authentication?: 'shared-secret';
  /** The Nostr pubkey whose signature over the boostagram was verified. */
  nostrSender?: string;
  /** Absent: keysend. */
  method?: PaymentMethod;
};

/** Outcome of parsing a queue message: a tip, or what is wrong with it. */
export type TipRequestResult = { ok: true; tip: Tip } | { ok: false; error: TipValidationError };

const ALLOWED_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(TipRequestSchema.shape),
  boostagram: Object.keys(BoostagramSchema.shape),
  customRecord: Object.keys(CustomRecordRequestSchema.shape),
  splitOf: Object.keys(SplitOfSchema.shape),
};

/** Parses a queue message (JSON text or object) into a Tip; never throws on bad input. */
export const parseTipRequest = (raw: unknown, policy: TipPolicy): TipRequestResult => {
  try {
    return { ok: true, tip: buildTip(parseShape(raw), policy) };
  } catch (error) {
    if (error instanceof TipValidationError) return { ok: false, error };
    if (error instanceof ValidationError) {
      return {
        ok: false,
        error: new TipValidationError(error.field, error.message, { cause: error }),
      };
    }
    throw error;
  }
};

/**
 * Identity of a tip's payment: sha256 over canonical JSON of what decides who is paid what.
 * Two requests with one tipId and different fingerprints are a conflict, never a second payment.
 */
export const tipFingerprint = (tip: Tip): string =>
  bytesToHex(
    sha256(
      utf8ToBytes(
        canonicalJson({
          recipient: tip.recipient,
          amountMsat: tip.amountMsat.toString(),
          records: tip.records.map(({ type, value }) => ({
            type: type.toString(),
            value: bytesToHex(value),
          })),
          platformId: tip.platformId,
          batchId: tip.batchId ?? null,
          splitOf: tip.splitOf ?? null,
          // Another derivation is another payment hash; absent for plain tips, whose fingerprints
          // (stored with tips recorded before this field existed) stay as they were.
          ...(tip.authentication ? { authentication: tip.authentication } : {}),
          // Only when it is not the default: the fingerprints of keysend tips stay as they were.
          ...(tip.method && tip.method !== 'keysend' ? { method: tip.method } : {}),
        }),
      ),
    ),
  );

const parseShape = (raw: unknown): TipRequest => {
  let input = raw;
  if (typeof raw === 'string') {
    try {
      input = JSON.parse(raw);
    } catch (error) {
      throw new TipValidationError(
        'body',
        `tip request is not valid JSON (${(error as Error).message}): send one JSON object per message`,
        { cause: error },
      );
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TipValidationError(
      'body',
      `tip request must be a JSON object, got ${describe(input)}`,
    );
  }
  // Checked before the shape: a newer producer's message should say "upgrade", not list the
  // fields this version does not know.
  const { version } = input as { version?: unknown };
  if (version === undefined) {
    throw new TipValidationError(
      'version',
      `version is required: this payer understands version ${TIP_REQUEST_VERSION}`,
    );
  }
  if (version !== TIP_REQUEST_VERSION) {
    throw new TipValidationError(
      'version',
      `schema version ${describeVersion(version)} is not supported; this payer understands version ${TIP_REQUEST_VERSION}`,
    );
  }
  const parsed = TipRequestSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw issue ? issueToError(issue, input) : new TipValidationError('body', parsed.error.message);
};

const issueToError = (issue: z.core.$ZodIssue, input: unknown): TipValidationError => {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    // A key can be as long as the message: name it by its start.
    const field = preview([path, issue.keys[0]].filter(Boolean).join('.'), 70);
    const allowed = ALLOWED_KEYS[path] ?? [];
    return new TipValidationError(
      field,
      `unknown field "${field}": remove it (version ${TIP_REQUEST_VERSION} accepts ${allowed.join(', ')})`,
    );
  }
  const value = valueAtPath(input, issue.path);
  if (value === undefined) return new TipValidationError(path, `${path} is required`);
  if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
    // zod's own wording ("Invalid input: …") is replaced where the schema gives none.
    const expected = issue.message.startsWith('Invalid input')
      ? `must be ${'expected' in issue ? `a ${issue.expected}` : 'another type'}`
      : issue.message;
    return new TipValidationError(path, `${path} ${expected}, got ${describe(value)}`);
  }
  return new TipValidationError(path, `${path} ${issue.message}`);
};

const buildTip = (request: TipRequest, policy: TipPolicy): Tip => {
  const {
    version: _version,
    tipId,
    platformId,
    recipientPubkey,
    recipientAddress,
    amountMsat,
    authentication,
    ...optional
  } = request;
  const tip: Tip = {
    ...optional,
    ...(authentication === 'shared-secret' ? { authentication } : {}),
    tipId: parseTipId(tipId),
    platformId: parsePlatformId(platformId),
    recipient: parseRecipient(request),
    amountMsat: parseAmountMsat(amountMsat, policy, 'amountMsat'),
    records: [],
  };
  const { message, boostagram, customRecord, splitOf, senderName } = optional;
  if (splitOf && splitOf.index >= splitOf.count) {
    throw new TipValidationError(
      'splitOf.index',
      `splitOf.index ${splitOf.index} is out of range for splitOf.count ${splitOf.count}: index counts from 0`,
    );
  }
  const sources: { field: string; record: TlvRecord }[] = [];
  if (message !== undefined) {
    const value = utf8ToBytes(message);
    if (value.length > MAX_MESSAGE_BYTES) {
      throw new TipValidationError(
        'message',
        `message is ${value.length} bytes of UTF-8, over the ${MAX_MESSAGE_BYTES}-byte limit: shorten it by ${value.length - MAX_MESSAGE_BYTES} bytes`,
      );
    }
    sources.push({ field: 'message', record: { type: TEXT_MESSAGE_RECORD_TYPE, value } });
  }
  if (boostagram !== undefined) {
    const nostrSender = verifyBoostSignature(boostagram);
    if (nostrSender !== undefined) tip.nostrSender = nostrSender;
    sources.push({
      field: 'boostagram',
      record: {
        type: BOOSTAGRAM_RECORD_TYPE,
        value: utf8ToBytes(
          canonicalJson(withSenderName(boostagram, senderName, nostrSender !== undefined)),
        ),
      },
    });
  }
  if (customRecord !== undefined) {
    const type = BigInt(customRecord.type);
    validateCustomRecordType(type, 'customRecord.type');
    const clash = sources.find(({ record }) => record.type === type);
    if (clash) {
      throw new TipValidationError(
        'customRecord.type',
        `customRecord.type ${type} is the record ${clash.field} is sent in: use another type or drop ${clash.field}`,
      );
    }
    sources.push({
      field: 'customRecord',
      record: { type, value: utf8ToBytes(customRecord.value) },
    });
    // "0696969" is type 696969: the tip says so in the one form its record is sent in.
    tip.customRecord = { ...customRecord, type: type.toString() };
  }
  // The Tipstream record is written by the payer (it knows the operator's pubkey), but its bytes
  // are known now: the tip reserves them, so it cannot pass here and then not fit the onion.
  const budgeted =
    tip.authentication === 'shared-secret'
      ? [
          ...sources,
          {
            field: 'authentication',
            record: {
              type: TIPSTREAM_RECORD_TYPE,
              value: new Uint8Array(tipstreamRecordValueBytes(tip.platformId, tip.tipId)),
            },
          },
        ]
      : sources;
  checkRecordsBudget(budgeted, policy.customRecordsBudgetBytes);
  tip.records = sources
    .map(({ record }) => record)
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return tip;
};

/** The tip's destination: exactly one of `recipientPubkey` and `recipientAddress`. */
const parseRecipient = (request: TipRequest): Destination => {
  const { recipientPubkey, recipientAddress, method, authentication } = request;
  if (recipientAddress === undefined) {
    if (recipientPubkey === undefined) {
      throw new TipValidationError(
        'recipientPubkey',
        'recipientPubkey is required (or recipientAddress, a Lightning Address)',
      );
    }
    return parseNodePubkey(recipientPubkey, 'recipientPubkey');
  }
  if (recipientPubkey !== undefined) {
    throw new TipValidationError(
      'recipientAddress',
      'recipientAddress and recipientPubkey are both set: send one of them',
    );
  }
  const address = parseLightningAddress(recipientAddress, 'recipientAddress');
  checkMethodForDestination(address, method, 'method', 'recipientPubkey');
  if (authentication === 'shared-secret') {
    throw new TipValidationError(
      'authentication',
      'authentication "shared-secret" needs recipientPubkey: the node behind a Lightning Address is known only when it is paid',
    );
  }
  return address;
};

/** The queue message's recipient field for a destination. */
export const recipientField = (
  destination: Destination,
): { recipientPubkey: string } | { recipientAddress: string } =>
  destination.includes('@') ? { recipientAddress: destination } : { recipientPubkey: destination };

// bLIP-10 apps show sender_name; a platform that knows the sender fills it in, but must not
// contradict a boostagram that names someone else.
const withSenderName = (
  boostagram: Boostagram,
  senderName: string | undefined,
  signed: boolean,
): Boostagram => {
  if (senderName === undefined) return boostagram;
  if (signed && boostagram.sender_name !== senderName) {
    // Adding a field would break the sender's signature at every receiver.
    throw new TipValidationError(
      'senderName',
      'senderName cannot be added to a signed boostagram: the sender signs sender_name inside the boostagram, or omit senderName',
    );
  }
  if (boostagram.sender_name !== undefined && boostagram.sender_name !== senderName) {
    throw new TipValidationError(
      'senderName',
      `senderName "${senderName}" differs from boostagram.sender_name "${preview(boostagram.sender_name, 70)}": send one of them`,
    );
  }
  return { ...boostagram, sender_name: senderName };
};

/**
 * Throws if the custom records a tip carries (each named by the input field it comes from) take
 * more than `budget` bytes of the onion; the message names the largest and every other source.
 */
export const checkRecordsBudget = (
  sources: { field: string; record: TlvRecord }[],
  budget: number,
): void => {
  const sized = sources
    .map(({ field, record }) => ({ field, bytes: encodedRecordsSize([record]) }))
    .sort((a, b) => b.bytes - a.bytes);
  const total = sized.reduce((sum, { bytes }) => sum + bytes, 0);
  const [largest] = sized;
  if (total <= budget || !largest) return;
  throw new TipValidationError(
    largest.field,
    `custom records take ${total} bytes of the onion, ${total - budget} over the ${budget}-byte budget: shorten ${sized.map(({ field, bytes }) => `${field} (${bytes} bytes)`).join(', ')}`,
  );
};

/** A version as sent (`2`, `"1"`), or its kind: a nested value may be too deep to print. */
const describeVersion = (version: unknown): string =>
  typeof version === 'number' || typeof version === 'boolean'
    ? String(version)
    : typeof version === 'string'
      ? JSON.stringify(preview(version, 40))
      : describe(version);

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  if (value === undefined) return 'undefined';
  return `a ${typeof value}`;
};
