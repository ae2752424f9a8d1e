import { z } from '@hono/zod-openapi';
import { PayoutJsonRowSchema } from '../../../shared/domain/payout-file.js';
import {
  BoostagramSchema,
  CustomRecordRequestSchema,
  TipAuthenticationSchema,
  TipRequestSchema,
} from '../../../shared/domain/tip-request.js';
import { JsonRecipientSchema, SplitListItemSchema } from '../../../shared/domain/value-split.js';
import { LightningAddressInput, NodePubkeyInput, PositiveMsatInput } from './primitives.js';

// The request bodies, for the document. Domain schemas take zod's own `.meta()` (they may be
// built before `@hono/zod-openapi` adds `.openapi()` to zod).
//
// The request bodies, for the document. The use cases validate them with the same domain
// schemas (and the rules beside them), so a problem names its field or line; these schemas are
// never a second, different check.

/** Fields of the tip message Tipstream sets itself: a platform may not send them. */
export const TIPSTREAM_FIELDS = ['version', 'tipId', 'platformId', 'batchId', 'splitOf'] as const;

const Boostagram = BoostagramSchema.meta({
  id: 'Boostagram',
  description:
    'A bLIP-10 boostagram (keysend record 7629169), restricted to these fields. A Nostr-signed boost carries `sender_id` (the x-only Nostr pubkey, 64 lowercase hex) and `signature` (BIP-340 Schnorr, 128 lowercase hex, over sha256 of the canonical JSON of the boostagram without `signature`: keys sorted, no whitespace); it is verified before anything is queued (`422` naming the field if not) and sent exactly as signed.',
});

const Authentication = TipAuthenticationSchema.meta({
  id: 'TipAuthentication',
  description:
    "How the recipient can tell the tip came from this operator. `shared-secret`: the preimage is derived from the ECDH secret of the operator's and the recipient's node keys, and a Tipstream record (type 1414090835) names the operator and tip id, so the creator's node recomputes and checks it (`tipstream verify-incoming`); it takes about 35 bytes plus the platform and tip ids of the onion budget. `none`: plain keysend. Default: the platform's setting (on for platforms created since it exists).",
});

export const TipRequest = TipRequestSchema.omit({
  version: true,
  tipId: true,
  platformId: true,
  batchId: true,
  splitOf: true,
})
  .extend({
    recipientPubkey: NodePubkeyInput.optional(),
    recipientAddress: LightningAddressInput.optional(),
    amountMsat: PositiveMsatInput,
    message: TipRequestSchema.shape.message.meta({
      description: 'Text message (keysend record 34349334), at most 500 bytes of UTF-8.',
    }),
    boostagram: Boostagram.optional(),
    customRecord: CustomRecordRequestSchema.meta({
      id: 'CustomRecord',
      description:
        'One custom keysend record, e.g. a podcast:value `customKey`/`customValue` that routes to a sub-wallet. The type must be at least 65536, at most 2^64-1, and not 5482373484 (keysend).',
    }).optional(),
    senderName: TipRequestSchema.shape.senderName.meta({
      description:
        "Shown as the boostagram's `sender_name`; must agree with `boostagram.sender_name` if both are set, and cannot be added to a signed boostagram.",
    }),
    authentication: Authentication.optional(),
    method: TipRequestSchema.shape.method.meta({
      description:
        'How the tip is sent: `keysend` (default, one path), `amp` (spontaneous multipath: the recipient must accept AMP), or `auto` (keysend while one path carries the amount, AMP when none does and the recipient advertises AMP). Decided before the first send; the receipt says which was used.',
    }),
  })
  .openapi('TipRequest', {
    description: `One tip, to \`recipientPubkey\` or to \`recipientAddress\` (exactly one; an address takes no \`method\` but keysend and no shared-secret \`authentication\`). ${TIPSTREAM_FIELDS.join(', ')} are set by Tipstream and refused here (\`422\`). Custom records (message, boostagram, customRecord) together must fit the operator's onion budget.`,
  });

const ValueBlockRecipient = z
  .union([
    JsonRecipientSchema.extend({ type: z.literal('node'), address: NodePubkeyInput }),
    JsonRecipientSchema.extend({ type: z.literal('lnaddress'), address: LightningAddressInput }),
  ])
  .openapi('ValueBlockRecipient', {
    description:
      '`type="node"`: keysend to the node pubkey in `address`; `type="lnaddress"`: `address` is a Lightning Address the payer resolves. `method` (a Tipstream extension, also a `method` attribute of an XML `valueRecipient`): how this part is sent, as a tip\'s (`keysend` by default, only keysend for `lnaddress`).',
  });

const lightningKeysend = { type: z.literal('lightning'), method: z.literal('keysend') };

const ValueBlockJson = z
  .union([
    z.object({ ...lightningKeysend, recipients: z.array(ValueBlockRecipient).min(1) }),
    z.object({
      model: z.object(lightningKeysend),
      destinations: z.array(ValueBlockRecipient).min(1),
    }),
  ])
  .openapi('ValueBlockJson', {
    description:
      'A JSON value block: the feed shape `{ type, method, recipients }` or the Podcast Index API shape `{ model: { type, method }, destinations }`. Only type `lightning`, method `keysend`.',
  });

const splitFields = {
  amountMsat: PositiveMsatInput.openapi({
    description:
      'The whole payment, msat; a positive multiple of 1000 unless the operator allows msat payments. Each part must also be a valid tip (at most the per-tip maximum).',
  }),
  valueBlock: z
    .union([
      z.string().openapi({
        description:
          'A `<podcast:value type="lightning" method="keysend">` element with its `<podcast:valueRecipient>` children. No `<!DOCTYPE>`; attribute values are taken as written, with the predefined entities and character references decoded.',
      }),
      ValueBlockJson,
    ])
    .optional(),
  recipients: z
    .array(
      SplitListItemSchema.extend({
        pubkey: z.union([NodePubkeyInput, LightningAddressInput]),
      }).openapi('SplitRecipient', {
        description:
          "`split`: shares (fee=false), or percent off the top (fee=true). `pubkey` may be a Lightning Address. `method`: how this part is sent, as a tip's (`keysend` by default; a Lightning Address takes only keysend).",
      }),
    )
    .min(1)
    .optional(),
  boostagram: z.record(z.string(), z.unknown()).optional().openapi({
    description:
      "Boostagram fields added to every part's boostagram (`action` defaults to `boost`; `value_msat_total`, `name` and `message` are set by Tipstream). Each part must still be a valid `Boostagram`, else `422 invalid-rows`. A Nostr-signed boostagram (`sender_id`, `signature`) is verified first (`422` naming the field) and sent to every part exactly as signed: nothing is added, so `message` cannot be sent beside it and its `value_msat_total`, if set, must equal `amountMsat`.",
  }),
  message: z.string().optional().openapi({ description: 'The boostagram message of every part.' }),
  senderName: z.string().min(1).max(64).optional(),
  authentication: Authentication.optional(),
  minPartMsat: z.number().int().min(0).optional().openapi({
    description:
      'Parts smaller than this are not paid (listed in `belowMinimum`); 1000 by default.',
  }),
};

export const SplitRequest = z
  .union([
    z.strictObject({ ...splitFields, valueBlock: splitFields.valueBlock.unwrap() }),
    z.strictObject({ ...splitFields, recipients: splitFields.recipients.unwrap() }),
  ])
  .openapi('SplitRequest', {
    description:
      'One payment to split. Send `valueBlock` (XML string or JSON object) or `recipients`; when both are sent `valueBlock` is used and `recipients` is ignored.',
  });

export const PayoutCsv = z.string().openapi('PayoutCsv', {
  description:
    'UTF-8 CSV, one payout per line: `pubkey,amount_sats,memo[,custom_key,custom_value[,method]]` (`method`: `keysend`, `amp` or `auto` as a tip\'s, empty for keysend; a row with a method and no custom record leaves the two custom columns empty). An optional first line naming the same columns is a header; blank lines are ignored; a leading byte order mark is ignored. Quote a memo that contains commas (`"..."`, `""` for a quote); a record must stay on one line. Amounts are whole sats.',
});

export const PayoutFileJson = z
  .object({
    payouts: z
      .array(
        PayoutJsonRowSchema.extend({ pubkey: NodePubkeyInput }).openapi('PayoutRowJson', {
          description:
            "One payout; `amountSats` whole sats greater than 0, `memo` at most 500 bytes, `method` as a tip's (`keysend` by default; a Lightning Address takes only keysend).",
        }),
      )
      .min(1)
      .max(10_000),
    allowPartial: z.boolean().optional(),
  })
  .openapi('PayoutFileJson', {
    description:
      '`{ payouts: [...] }`. Other top-level fields are ignored (not refused). `allowPartial: true` here has the same effect as the query parameter.',
  });
