import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { parseNodePubkey } from '../../../shared/domain/pubkey.js';
import {
  parseSplitList,
  parseValueBlockJson,
  parseValueBlockXml,
  splitValue,
  type ValueRecipient,
  type ValueSplit,
} from '../../../shared/domain/value-split.js';
import { pubkeyHex, thrown } from './helpers.js';

// Addresses from the podcast:value spec's examples (recipients A, B, C). The spec's recipient D
// address is not a point on secp256k1, so a key of our own stands in for it.
const A = '02d5c1bf8b940dc9cadca86d1b0a3c37fbe39cee4c7e839e33bef9174531d27f52';
const B = '032f4ffbbafffbe51726ad3c164a3d0d37ec27bc67b29a159b0f49ae8ac21b8508';
const C = '03ae9f91a0cb8ff43840e3c322c4c61f019d8c1c3cea15a25cfc425ac605e61a4a';
const D = pubkeyHex(4);
const SPEC_D = '039e2bd74dadb4a50c3be632a5068cbc820d520635acc5c527a2171ab6cab43a9c';
const E = pubkeyHex(5);
const SATS = 1000n;

const node = (address: string, split: number, extra: Partial<ValueRecipient> = {}) =>
  ({
    type: 'node',
    address: parseNodePubkey(address),
    split,
    fee: false,
    ...extra,
  }) as ValueRecipient;
const fee = (address: string, split: number) => node(address, split, { fee: true });

/** Every part's amount in recipient order, payable or not. */
const amounts = ({ parts, belowMinimum }: ValueSplit): bigint[] =>
  [...parts, ...belowMinimum].sort((a, b) => a.index - b.index).map((part) => part.amountMsat);
const sum = (values: readonly bigint[]) => values.reduce((total, value) => total + value, 0n);

describe('splitValue follows the spec examples', () => {
  it.each([
    {
      description: 'example 1: 300 sats, splits 50/40/10 → 150/120/30',
      total: 300n * SATS,
      recipients: [node(A, 50), node(B, 40), node(C, 10)],
      expected: [150n * SATS, 120n * SATS, 30n * SATS],
    },
    {
      description: 'example 1 paid every 5 minutes: 1500 sats → 750/600/150',
      total: 1500n * SATS,
      recipients: [node(A, 50), node(B, 40), node(C, 10)],
      expected: [750n * SATS, 600n * SATS, 150n * SATS],
    },
    {
      description: 'example 2: 1000 sats, splits 100/99/1 (not adding to 100) → 500/495/5',
      total: 1000n * SATS,
      recipients: [node(A, 100), node(B, 99), node(C, 1)],
      expected: [500n * SATS, 495n * SATS, 5n * SATS],
    },
    {
      description: 'example 3: 2500 sats, A 101, B 99, C 16% fee, D 4% fee → 1010/990/400/100',
      total: 2500n * SATS,
      recipients: [node(A, 101), node(B, 99), fee(C, 16), fee(D, 4)],
      expected: [1010n * SATS, 990n * SATS, 400n * SATS, 100n * SATS],
    },
    {
      description: 'example 3 with fractional shares 50.5/49.5 (same ratio) → 1010/990/400/100',
      total: 2500n * SATS,
      recipients: [node(A, 50.5), node(B, 49.5), fee(C, 16), fee(D, 4)],
      expected: [1010n * SATS, 990n * SATS, 400n * SATS, 100n * SATS],
    },
    {
      description: 'the live example: 49/46/5 shares and a 1% fee, 1000 sats',
      total: 1000n * SATS,
      recipients: [node(A, 49), node(B, 46), node(C, 5), fee(D, 1)],
      expected: [485_100n, 455_400n, 49_500n, 10n * SATS],
    },
  ])('$description', ({ total, recipients, expected }) => {
    const result = splitValue(total, recipients, { minPartMsat: 1n });
    expect(amounts(result)).toEqual(expected);
    expect(result.belowMinimum).toEqual([]);
    expect(result.parts.map((part) => part.index)).toEqual(recipients.map((_, index) => index));
    expect(result.parts.map((part) => part.recipient)).toEqual(recipients);
  });
});

describe('splitValue rounds by largest remainder in msat', () => {
  it.each([
    {
      description: 'equal shares: the leftover msat goes to the earliest recipient',
      total: 10n,
      recipients: [node(A, 1), node(B, 1), node(C, 1)],
      expected: [4n, 3n, 3n],
    },
    {
      description: 'two leftover msat go to the two earliest of equal remainders',
      total: 11n,
      recipients: [node(A, 1), node(B, 1), node(C, 1)],
      expected: [4n, 4n, 3n],
    },
    {
      description: 'the largest remainder wins over an earlier index',
      total: 10n,
      recipients: [node(A, 1), node(B, 2)],
      expected: [3n, 7n],
    },
    {
      description: 'order of recipients does not change who has the larger remainder',
      total: 10n,
      recipients: [node(B, 2), node(A, 1)],
      expected: [7n, 3n],
    },
    {
      description: 'fees are floored and their dust goes to the shares',
      total: 999n,
      recipients: [node(A, 1), fee(C, 1)],
      expected: [990n, 9n],
    },
    {
      description: 'fee-only recipients adding to 100% share the total by largest remainder',
      total: 1001n,
      recipients: [fee(A, 60), fee(B, 40)],
      expected: [601n, 400n],
    },
    {
      description: 'fees of exactly 100% leave nothing for the shares',
      total: 1000n,
      recipients: [fee(A, 75), fee(B, 25), node(C, 10)],
      expected: [750n, 250n, 0n],
    },
    {
      description: 'a tiny share of a small total rounds to zero',
      total: 2n,
      recipients: [node(A, 100), node(B, 99), node(C, 1)],
      expected: [1n, 1n, 0n],
    },
    {
      description: 'one recipient takes everything',
      total: 21_000n,
      recipients: [node(A, 5)],
      expected: [21_000n],
    },
    {
      description: 'a very large total stays exact',
      total: 2_100_000_000_000_000_000n,
      recipients: [node(A, 1), node(B, 1), node(C, 1)],
      expected: [700_000_000_000_000_000n, 700_000_000_000_000_000n, 700_000_000_000_000_000n],
    },
  ])('$description', ({ total, recipients, expected }) => {
    const result = splitValue(total, recipients, { minPartMsat: 0n });
    expect(amounts(result)).toEqual(expected);
    expect(sum(amounts(result))).toBe(total);
  });

  it('conserves the total and stays within 1 msat of the exact share, over many cases', () => {
    let seed = 12345;
    const next = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % max;
    };
    const keys = [A, B, C, D, E];
    for (let run = 0; run < 500; run++) {
      const count = 1 + next(5);
      const feeCount = next(count);
      const recipients = keys
        .slice(0, count)
        .map((key, index) =>
          index < feeCount ? fee(key, 1 + next(20)) : node(key, 1 + next(1000)),
        );
      const total = BigInt(1 + next(10_000_000));
      const result = splitValue(total, recipients, { minPartMsat: 1000n });
      const parts = amounts(result);
      expect(sum(parts)).toBe(total);
      const feeTotal = sum(parts.slice(0, feeCount));
      const rest = total - feeTotal;
      const shares = recipients.slice(feeCount).reduce((all, { split }) => all + split, 0);
      recipients.slice(feeCount).forEach(({ split }, offset) => {
        const exact = (Number(rest) * split) / shares;
        expect(Math.abs(Number(parts[feeCount + offset]) - exact)).toBeLessThan(1 + 1e-6);
      });
    }
  });

  it('reports parts below the minimum instead of dropping them', () => {
    const recipients = [node(A, 100), node(B, 99), node(C, 1)];
    const result = splitValue(100n * SATS, recipients, { minPartMsat: 1000n });
    expect(result.parts).toEqual([
      { recipient: recipients[0], amountMsat: 50_000n, index: 0 },
      { recipient: recipients[1], amountMsat: 49_500n, index: 1 },
    ]);
    expect(result.belowMinimum).toEqual([{ recipient: recipients[2], amountMsat: 500n, index: 2 }]);
    expect(sum(amounts(result))).toBe(100n * SATS);
  });

  it('counts a part equal to the minimum as payable, and a 0-msat part never', () => {
    const recipients = [node(A, 1), node(B, 1), fee(C, 100)];
    const result = splitValue(1000n, recipients, { minPartMsat: 0n });
    expect(result.parts.map((part) => part.index)).toEqual([2]);
    expect(result.belowMinimum.map((part) => [part.index, part.amountMsat])).toEqual([
      [0, 0n],
      [1, 0n],
    ]);
    const exact = splitValue(3000n, [node(A, 1), node(B, 2)], { minPartMsat: 1000n });
    expect(exact.parts.map((part) => part.amountMsat)).toEqual([1000n, 2000n]);
  });
});

describe('splitValue rejects', () => {
  it.each([
    {
      description: 'no recipients',
      args: [1000n, []],
      error: /^value block has no recipients: add at least one type="node" valueRecipient$/,
    },
    {
      description: 'a zero split',
      args: [1000n, [node(A, 1), node(B, 0, { name: 'Guest' })]],
      error: /^recipient 2 \("Guest"\) split must be a positive number of shares, got number 0$/,
    },
    {
      description: 'a negative split',
      args: [1000n, [node(A, -5)]],
      error: /recipient 1 split must be a positive number of shares, got number -5/,
    },
    {
      description: 'a NaN split',
      args: [1000n, [node(A, Number.NaN)]],
      error: /split must be a positive number of shares, got number NaN/,
    },
    {
      description: 'an infinite split',
      args: [1000n, [node(A, Number.POSITIVE_INFINITY)]],
      error: /split must be a positive number of shares, got number Infinity/,
    },
    {
      description: 'a split given as a string',
      args: [1000n, [{ ...node(A, 1), split: '50' as unknown as number }]],
      error: /split must be a positive number of shares, got the string "50"/,
    },
    {
      description: 'a split below a millionth of a share',
      args: [1000n, [node(A, 1e-7)]],
      error: /split 1e-7 is below the smallest share of 0.000001: raise it/,
    },
    {
      description: 'fee percentages adding up to more than 100',
      args: [1000n, [node(A, 1), fee(B, 60), node(C, 60, { fee: true, name: 'App' })]],
      error:
        /^fee=true recipients take 120% off the top \(recipient 2 60%, recipient 3 \("App"\) 60%\), more than 100%: lower their splits$/,
    },
    {
      description: 'only fee recipients, adding up to less than 100 (all shares zero)',
      args: [1000n, [fee(A, 16), fee(B, 4)]],
      error:
        /every recipient is fee=true and their splits add up to 20%, so 80% has no recipient: add a fee=false recipient/,
    },
    {
      description: 'the same node twice',
      args: [1000n, [node(A, 1, { name: 'Host' }), node(B, 1), node(A, 2, { name: 'Host again' })]],
      error:
        /^recipient 3 \("Host again"\) pays the same destination as recipient 1 \("Host"\) \(02d5c1.+\): merge them into one recipient with the sum of their splits$/,
    },
    {
      description: 'the same node, customKey and customValue twice',
      args: [
        1000n,
        [
          node(A, 1, { customKey: '696969', customValue: 'wallet-1' }),
          node(A, 1, { customKey: '696969', customValue: 'wallet-1' }),
        ],
      ],
      error:
        /recipient 2 pays the same destination as recipient 1 \(.+ with customKey 696969 and customValue "wallet-1"\)/,
    },
    {
      description: 'a zero total',
      args: [0n, [node(A, 1)]],
      error: /totalMsat 0 must be a positive bigint/,
    },
    {
      description: 'a negative total',
      args: [-1000n, [node(A, 1)]],
      error: /totalMsat -1000 must be a positive bigint/,
    },
    {
      description: 'a negative minimum',
      args: [1000n, [node(A, 1)], -1n],
      error: /minPartMsat -1 must be a bigint of 0 or more/,
    },
  ])('$description', ({ args: [total, recipients, minPartMsat = 1n], error }) => {
    const err = thrown(() =>
      splitValue(total as bigint, recipients as ValueRecipient[], {
        minPartMsat: minPartMsat as bigint,
      }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });

  it('accepts one node paid into two sub-wallets', () => {
    const recipients = [
      node(A, 1, { customKey: '696969', customValue: 'wallet-1' }),
      node(A, 1, { customKey: '696969', customValue: 'wallet-2' }),
    ];
    expect(amounts(splitValue(10n, recipients, { minPartMsat: 1n }))).toEqual([5n, 5n]);
  });
});

const SPEC_EXAMPLE_3 = `<?xml version="1.0" encoding="UTF-8"?>
<podcast:value type="lightning" method="keysend" suggested="0.00000015000">
    <podcast:valueRecipient name="A" type="node" address="${A}" split="101" />
    <podcast:valueRecipient name="B" type="node" address="${B}" split="99" />
    <podcast:valueRecipient name="C" type="node" address="${C}" split="16" fee="true" />
    <podcast:valueRecipient name="D" type="node" address="${D}" split="4" fee="true" />
</podcast:value>`;

const xmlBlock = (recipients: string, attributes = 'type="lightning" method="keysend"') =>
  `<podcast:value ${attributes}>${recipients}</podcast:value>`;
const xmlRecipient = (attributes: string) => `<podcast:valueRecipient ${attributes} />`;

describe('parseValueBlockXml', () => {
  it('parses the spec example 3 block, which then splits 1010/990/400/100', () => {
    const recipients = parseValueBlockXml(SPEC_EXAMPLE_3);
    expect(recipients).toEqual([
      { type: 'node', name: 'A', address: A, split: 101, fee: false },
      { type: 'node', name: 'B', address: B, split: 99, fee: false },
      { type: 'node', name: 'C', address: C, split: 16, fee: true },
      { type: 'node', name: 'D', address: D, split: 4, fee: true },
    ]);
    expect(amounts(splitValue(2500n * SATS, recipients, { minPartMsat: 1n }))).toEqual([
      1010n * SATS,
      990n * SATS,
      400n * SATS,
      100n * SATS,
    ]);
  });

  it.each([
    {
      description: 'customKey/customValue, entities and a fractional split',
      xml: xmlBlock(
        xmlRecipient(
          `name="Tom &amp; Jerry" type="node" address="${A.toUpperCase()}" split="49.5" customKey="0696969" customValue="eChoVKtO1KujpAA5HCoB" fee="false"`,
        ),
      ),
      expected: [
        {
          type: 'node',
          name: 'Tom & Jerry',
          address: A,
          split: 49.5,
          fee: false,
          customKey: '696969',
          customValue: 'eChoVKtO1KujpAA5HCoB',
        },
      ],
    },
    {
      description: 'another namespace prefix, comments and other children',
      xml: `<!-- channel value --><pc:value type="lightning" method="keysend"><pc:valueRecipient type="node" address="${B}" split="1"/><pc:valueTimeSplit startTime="60" duration="30" remotePercentage="90"/></pc:value>`,
      expected: [{ type: 'node', address: B, split: 1, fee: false }],
    },
    {
      description: 'character references, and attribute values kept as written (spaces too)',
      xml: xmlBlock(
        xmlRecipient(
          `name="&#x41;l &#233;&#x1F399;" type="node" address="${B}" split="1" customKey="696969" customValue=" w 1 "`,
        ),
      ),
      expected: [
        {
          type: 'node',
          name: 'Al é🎙',
          address: B,
          split: 1,
          fee: false,
          customKey: '696969',
          customValue: ' w 1 ',
        },
      ],
    },
  ])('parses $description', ({ xml, expected }) => {
    expect(parseValueBlockXml(xml)).toEqual(expected);
  });

  it.each([
    { description: 'an empty string', xml: '', error: /^value block XML is empty/ },
    {
      description: 'a DOCTYPE whose entities expand past the parser limit (billion laughs)',
      xml: `<!DOCTYPE value [<!ENTITY big "${'x'.repeat(9_000)}">]>${xmlBlock(
        xmlRecipient(`name="${'&big;'.repeat(20)}" type="node" address="${A}" split="1"`),
      )}`,
      error: /^value block has a <!DOCTYPE …>: a podcast:value element needs no document type/,
    },
    {
      description: 'a DOCTYPE declaring more entities than the parser allows',
      xml: `<!DOCTYPE value [${Array.from({ length: 1_001 }, (_, i) => `<!ENTITY e${i} "x">`).join('')}]>${xmlBlock(xmlRecipient(`type="node" address="${A}" split="1"`))}`,
      error: /^value block has a <!DOCTYPE …>/,
    },
    {
      description: 'a character reference to a character XML does not allow',
      xml: xmlBlock(xmlRecipient(`name="a&#0;b" type="node" address="${A}" split="1"`)),
      error: /^name has the character reference &#0;, which is not a character XML allows/,
    },
    {
      description: 'a split too large for exact shares',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="1000000001"`)),
      error: /^recipient 1 split 1000000001 is above the largest split of 1,000,000,000 shares/,
    },
    {
      description: 'XML that is not well-formed',
      xml: '<podcast:value type="lightning">\n<podcast:valueRecipient split="1">\n</podcast:value>',
      error: /^value block is not well-formed XML at line 3, column \d+: .+/,
    },
    {
      description: 'a whole feed instead of the value block',
      xml: '<rss><channel></channel></rss>',
      error: /^expected one <podcast:value> element, got <rss>: send the value block on its own$/,
    },
    {
      description: 'two top-level elements',
      xml: `${xmlBlock('')}${xmlBlock('')}`,
      error:
        /^value block is not well-formed XML at line 1, column \d+: Multiple possible root nodes/,
    },
    {
      description: 'a value block of another currency',
      xml: xmlBlock('', 'type="bitcoin" method="keysend"'),
      error:
        /^value block type="bitcoin" is not supported; only type="lightning" method="keysend" blocks can be paid$/,
    },
    {
      description: 'an AMP value block',
      xml: xmlBlock('', 'type="lightning" method="amp"'),
      error: /^value block method="amp" is not supported; only type="lightning" method="keysend"/,
    },
    {
      description: 'a value block without attributes',
      xml: '<podcast:value/>',
      error: /^value block type=null is not supported/,
    },
    {
      description: 'no recipients',
      xml: xmlBlock(''),
      error: /^value block has no recipients/,
    },
    {
      description: 'a recipient of an unknown type',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="50"`) +
          xmlRecipient('name="Host" type="bolt12" address="lno1x" split="50"'),
      ),
      error:
        /^recipient 2 \("Host"\) has type bolt12; only type="node" \(keysend\) and type="lnaddress" \(Lightning Address\) recipients can be paid$/,
    },
    {
      description: 'an lnaddress recipient whose address is not one',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="50"`) +
          xmlRecipient('name="Host" type="lnaddress" address="host at example.com" split="50"'),
      ),
      error: /^recipient 2 \("Host"\) .*a Lightning Address is name@domain/,
    },
    {
      description: 'a recipient without type',
      xml: xmlBlock(xmlRecipient(`address="${A}" split="50"`)),
      error: /^recipient 1 has no type: set type="node"$/,
    },
    {
      description: 'a recipient without address',
      xml: xmlBlock(xmlRecipient('name="A" type="node" split="50"')),
      error:
        /^recipient 1 \("A"\) has no address: set it to the node's public key \(66 hex chars\)$/,
    },
    {
      description: 'an address that is not a point on the curve (the spec example D)',
      xml: xmlBlock(xmlRecipient(`name="D" type="node" address="${SPEC_D}" split="4"`)),
      error: /^recipient 1 \("D"\) address 039e2b.+ is not a point on secp256k1/,
    },
    {
      description: 'an address that is too short',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A.slice(0, 64)}" split="4"`)),
      error: /^recipient 1 address .+ is 64 chars, not 66/,
    },
    {
      description: 'a recipient without split',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}"`)),
      error: /^recipient 1 has no split: set split to its number of shares$/,
    },
    {
      description: 'a split that is not a number',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="half"`)),
      error: /^recipient 1 split must be a positive number of shares, e.g. split="50", got "half"$/,
    },
    {
      description: 'a negative split',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="-5"`)),
      error: /split must be a positive number of shares, e.g. split="50", got "-5"/,
    },
    {
      description: 'a percent sign in split',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="50%"`)),
      error: /split must be a positive number of shares, e.g. split="50", got "50%"/,
    },
    {
      description: 'a zero split',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="0"`)),
      error: /^recipient 1 split must be a positive number of shares, got number 0$/,
    },
    {
      description: 'fee other than true/false',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="1" fee="yes"`)),
      error: /^recipient 1 fee must be "true" or "false", got "yes"$/,
    },
    {
      description: 'customKey that is not digits',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="1" customKey="podcast" customValue="x"`),
      ),
      error:
        /^recipient 1 customKey must be a TLV type in digits, e.g. "696969", got the string "podcast"$/,
    },
    {
      description: 'customKey below 65536',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="1" customKey="1000" customValue="x"`),
      ),
      error:
        /^recipient 1 customKey 1000 is below 65536: LND only sends custom records of type 65536 or above$/,
    },
    {
      description: 'customKey equal to the keysend record',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="1" customKey="5482373484" customValue="x"`),
      ),
      error: /customKey 5482373484 is the keysend preimage record/,
    },
    {
      description: 'customKey above 2^64-1',
      xml: xmlBlock(
        xmlRecipient(
          `type="node" address="${A}" split="1" customKey="18446744073709551616" customValue="x"`,
        ),
      ),
      error: /customKey 18446744073709551616 is above 2\^64-1/,
    },
    {
      description: 'customKey without customValue',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="1" customKey="696969"`)),
      error:
        /^recipient 1 has customKey 696969 but no customValue: add the value the recipient's node expects/,
    },
    {
      description: 'customValue without customKey',
      xml: xmlBlock(xmlRecipient(`type="node" address="${A}" split="1" customValue="wallet"`)),
      error: /^recipient 1 has customValue "wallet" but no customKey: add the customKey/,
    },
    {
      description: 'fees over 100%',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="1"`) +
          xmlRecipient(`type="node" address="${B}" split="101" fee="true"`),
      ),
      error: /fee=true recipients take 101% off the top/,
    },
    {
      description: 'the same recipient twice',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="1"`) +
          xmlRecipient(`type="node" address="${A}" split="1"`),
      ),
      error: /recipient 2 pays the same destination as recipient 1/,
    },
    {
      description:
        'an address given twice, once with a namespace prefix (a reader sees one, the other is paid)',
      xml: xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="1" x:address="${D}" xmlns:x="urn:x"`),
      ),
      error: /valueRecipient> has the attribute "address" twice/,
    },
    {
      description: 'a method given twice, once with a namespace prefix',
      xml: xmlBlock(
        xmlRecipient(
          `type="node" address="${A}" split="1" method="keysend" x:method="amp" xmlns:x="urn:x"`,
        ),
      ),
      error: /has the attribute "method" twice/,
    },
  ])('rejects $description', ({ xml, error }) => {
    const err = thrown(() => parseValueBlockXml(xml));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });

  it('names the offending field', () => {
    const err = thrown(() =>
      parseValueBlockXml(
        xmlBlock(
          xmlRecipient(`type="node" address="${A}" split="1" customKey="1"  customValue="x"`),
        ),
      ),
    );
    expect((err as ValidationError).field).toBe('recipients.1.customKey');
  });
});

describe('parseValueBlockJson', () => {
  const feed = {
    type: 'lightning',
    method: 'keysend',
    suggested: '0.00000015000',
    recipients: [
      { name: 'A', type: 'node', address: A, split: 101 },
      { name: 'C', type: 'node', address: C, split: 16, fee: true },
    ],
  };
  const api = {
    model: { type: 'lightning', method: 'keysend', suggested: '0.00000020000' },
    destinations: [
      {
        name: 'Podcaster',
        address: A,
        type: 'node',
        split: 95,
        customKey: null,
        customValue: null,
      },
      {
        name: 'Sub',
        address: B,
        type: 'node',
        split: 4,
        customKey: 696969,
        customValue: 'sub-1',
        fee: false,
      },
      { name: 'Podcastindex.org', address: C, type: 'node', split: 1, fee: true },
    ],
  };

  it.each([
    {
      description: 'the feed shape { type, method, recipients }',
      args: feed,
      expected: [
        { type: 'node', name: 'A', address: A, split: 101, fee: false },
        { type: 'node', name: 'C', address: C, split: 16, fee: true },
      ],
    },
    {
      description:
        'the Podcast Index API shape { model, destinations }, with nulls and a numeric customKey',
      args: api,
      expected: [
        { type: 'node', name: 'Podcaster', address: A, split: 95, fee: false },
        {
          type: 'node',
          name: 'Sub',
          address: B,
          split: 4,
          fee: false,
          customKey: '696969',
          customValue: 'sub-1',
        },
        { type: 'node', name: 'Podcastindex.org', address: C, split: 1, fee: true },
      ],
    },
  ])('parses $description', ({ args, expected }) => {
    expect(parseValueBlockJson(args)).toEqual(expected);
  });

  const withRecipient = (recipient: unknown) => ({
    ...feed,
    recipients: [feed.recipients[0], recipient],
  });
  it.each([
    {
      description: 'a split that overflows to Infinity in shares (1e303)',
      args: withRecipient({ type: 'node', address: C, split: 1e303 }),
      error: /^recipient 2 split 1e\+303 is above the largest split of 1,000,000,000 shares/,
    },
    {
      description: 'null',
      args: null,
      error:
        /^value block must be an object, got null: send \{ type, method, recipients \} or \{ model, destinations \}$/,
    },
    { description: 'an array', args: [], error: /value block must be an object, got an array/ },
    {
      description: 'a model that is not an object',
      args: { model: 'lightning', destinations: [] },
      error: /^model must be an object \{ type, method \}, got the string "lightning"$/,
    },
    {
      description: 'an API model of another method',
      args: { ...api, model: { type: 'lightning', method: 'amp' } },
      error:
        /^value block model.method "amp" is not supported; only type="lightning" method="keysend"/,
    },
    {
      description: 'a feed block of another type',
      args: { ...feed, type: 'hive' },
      error: /^value block type "hive" is not supported/,
    },
    {
      description: 'a feed block without method',
      args: { type: 'lightning', recipients: feed.recipients },
      error: /^value block method null is not supported/,
    },
    {
      description: 'destinations that are not an array',
      args: { model: api.model },
      error: /^destinations must be an array of recipients, got undefined$/,
    },
    {
      description: 'recipients that are not an array',
      args: { ...feed, recipients: { A } },
      error: /^recipients must be an array of recipients, got an object$/,
    },
    {
      description: 'an empty recipient list',
      args: { ...feed, recipients: [] },
      error: /^value block has no recipients/,
    },
    {
      description: 'a recipient that is not an object',
      args: withRecipient('B'),
      error: /^recipient 2 must be an object, got the string "B"$/,
    },
    {
      description: 'a split sent as a string',
      args: withRecipient({ name: 'B', type: 'node', address: B, split: '99' }),
      error: /^recipient 2 \("B"\) split must be a number of shares, got the string "99"$/,
    },
    {
      description: 'a missing split',
      args: withRecipient({ name: 'B', type: 'node', address: B }),
      error: /^recipient 2 \("B"\) split is required$/,
    },
    {
      description: 'fee sent as a string',
      args: withRecipient({ type: 'node', address: B, split: 1, fee: 'true' }),
      error: /^recipient 2 fee must be true or false, got the string "true"$/,
    },
    {
      description: 'an address sent as a number',
      args: withRecipient({ type: 'node', address: 2, split: 1 }),
      error: /^recipient 2 address must be the node's public key as 66 hex chars, got number 2$/,
    },
    {
      description: 'a node recipient given a Lightning Address',
      args: withRecipient({
        name: 'Host',
        type: 'node',
        address: 'host@example.com',
        split: 1,
      }),
      error: /^recipient 2 \("Host"\) .*address host@example.com is 16 chars, not 66/,
    },
    {
      description: 'a negative customKey',
      args: withRecipient({ type: 'node', address: B, split: 1, customKey: -1, customValue: 'x' }),
      error: /^recipient 2 customKey must be a TLV type in digits, e.g. "696969", got number -1$/,
    },
    {
      description: 'a negative split',
      args: withRecipient({ type: 'node', address: B, split: -1 }),
      error: /^recipient 2 split must be a positive number of shares, got number -1$/,
    },
  ])('rejects $description', ({ args, error }) => {
    const err = thrown(() => parseValueBlockJson(args));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });
});

describe('parseSplitList', () => {
  it('parses pubkey/split entries into node recipients', () => {
    expect(
      parseSplitList([
        { pubkey: A, split: 90, name: 'Creator' },
        { pubkey: B, split: 10, customKey: '696969', customValue: 'w1' },
        { pubkey: C, split: 2, fee: true },
      ]),
    ).toEqual([
      { type: 'node', name: 'Creator', address: A, split: 90, fee: false },
      { type: 'node', address: B, split: 10, fee: false, customKey: '696969', customValue: 'w1' },
      { type: 'node', address: C, split: 2, fee: true },
    ]);
  });

  it.each([
    {
      description: 'an object',
      args: { pubkey: A },
      error: /^splits must be an array of \{ pubkey, split \}, got an object$/,
    },
    { description: 'an empty list', args: [], error: /^value block has no recipients/ },
    {
      description: 'address instead of pubkey',
      args: [{ address: A, split: 1 }],
      error:
        /^recipient 1 unknown field "address": remove it \(accepted: pubkey, split, fee, customKey, customValue, name, method\)$/,
    },
    {
      description: 'a missing pubkey',
      args: [{ split: 1 }],
      error: /^recipient 1 pubkey is required$/,
    },
    {
      description: 'a pubkey that is not hex',
      args: [{ pubkey: `02${'x'.repeat(64)}`, split: 1, name: 'Bad' }],
      error: /^recipient 1 \("Bad"\) pubkey 02x+ is not hex/,
    },
    {
      description: 'a missing split',
      args: [{ pubkey: A }],
      error: /^recipient 1 split is required$/,
    },
    {
      description: 'a split that overflows to Infinity in shares (1e303)',
      args: [{ pubkey: A, split: 1e303 }],
      error: /^recipient 1 split 1e\+303 is above the largest split/,
    },
    {
      description: 'a numeric customKey (this API takes digits as a string)',
      args: [{ pubkey: A, split: 1, customKey: 696969, customValue: 'x' }],
      error: /^recipient 1 customKey must be a string of digits, e.g. "696969", got number 696969$/,
    },
    {
      description: 'a duplicate pubkey',
      args: [
        { pubkey: A, split: 1 },
        { pubkey: A.toUpperCase(), split: 1 },
      ],
      error: /^recipient 2 pays the same destination as recipient 1/,
    },
  ])('rejects $description', ({ args, error }) => {
    const err = thrown(() => parseSplitList(args));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(error);
  });
});

describe('Lightning Address recipients (type="lnaddress")', () => {
  it('are split like node recipients, their address kept as given (lowercased)', () => {
    const recipients = parseValueBlockXml(
      xmlBlock(
        xmlRecipient(`type="node" address="${A}" split="50"`) +
          xmlRecipient('name="Host" type="lnaddress" address="Host@Example.com" split="50"'),
      ),
    );
    expect(recipients[1]).toMatchObject({
      type: 'lnaddress',
      address: 'host@example.com',
      split: 50,
    });
  });
});

describe("a recipient's method (as a tip's: keysend, amp, auto)", () => {
  it('is read from the split list, the JSON value block and the XML method attribute', () => {
    expect(
      parseSplitList([
        { pubkey: A, split: 90, method: 'auto' },
        { pubkey: B, split: 10 },
      ]).map((r) => r.method),
    ).toEqual(['auto', undefined]);
    expect(
      parseValueBlockJson({
        type: 'lightning',
        method: 'keysend',
        recipients: [
          { type: 'node', address: A, split: 1, method: 'amp' },
          { type: 'node', address: B, split: 1, method: null },
        ],
      }).map((r) => r.method),
    ).toEqual(['amp', undefined]);
    expect(
      parseValueBlockXml(
        xmlBlock(
          xmlRecipient(`type="node" address="${A}" split="50" method="auto"`) +
            xmlRecipient(`type="node" address="${B}" split="50" method=""`),
        ),
      ).map((r) => r.method),
    ).toEqual(['auto', undefined]);
  });

  it.each([
    {
      description: 'an unknown method in a split list',
      parse: () => parseSplitList([{ pubkey: A, split: 1, method: 'mpp' }]),
      field: 'splits.1.method',
      error: /^recipient 1 method must be "keysend", "amp" or "auto", got the string "mpp"$/,
    },
    {
      description: 'an unknown XML method attribute',
      parse: () =>
        parseValueBlockXml(
          xmlBlock(xmlRecipient(`type="node" address="${A}" split="1" method="AMP"`)),
        ),
      field: 'recipients.1.method',
      error:
        /^recipient 1 method must be "keysend", "amp" or "auto" \(or empty for keysend\), got "AMP"$/,
    },
    {
      description: 'AMP to an lnaddress recipient',
      parse: () =>
        parseValueBlockXml(
          xmlBlock(
            xmlRecipient('type="lnaddress" address="host@example.com" split="1" method="amp"'),
          ),
        ),
      field: 'recipients.1.method',
      error:
        /^recipient 1 method amp needs a node address: a Lightning Address is paid by keysend details or an LNURL-pay invoice/,
    },
    {
      description: 'auto to a Lightning Address in a split list',
      parse: () => parseSplitList([{ pubkey: 'host@example.com', split: 1, method: 'auto' }]),
      field: 'splits.1.method',
      error: /^recipient 1 method auto needs a node pubkey/,
    },
  ])('rejects $description, naming the field', ({ parse, field, error }) => {
    const err = thrown(parse);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect(err.message).toMatch(error);
  });
});
