/**
 * Property tests of the value block parsers (podcast:value XML, its JSON shapes, the API's split
 * list) on hostile input: seeded (reproducible), a few thousand cases per property.
 *
 * The canonical form of a parsed list is the podcast:value XML its recipients print as, each
 * split written as the exact share the split is computed with. Properties: a parser returns
 * recipients or throws a ValidationError (the API's 422), never anything else (a 500); and what it
 * accepts, its canonical form is accepted too and splits an amount the same way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  parseSplitList,
  parseValueBlockJson,
  parseValueBlockXml,
  splitValue,
  type ValueRecipient,
} from '../../../shared/domain/value-split.js';
import { fcParams } from '../../support/fast-check.js';
import { G, pubkeyHex } from './helpers.js';

/** Same seed every run: a failure names its case and reproduces. */
// A failure's shrinking stops after a minute: long strings shrink slowly.
const RUNS = { ...fcParams(3_000), interruptAfterTimeLimit: 60_000 };

/** Returns the parser's recipients, or undefined for a ValidationError; anything else fails. */
const accepted = (parse: () => ValueRecipient[]): ValueRecipient[] | undefined => {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
};

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The share a split is computed with (millionths), as a plain decimal. */
const shareTextOf = (split: number) => {
  const millionths = Math.round(split * 1_000_000);
  const whole = Math.floor(millionths / 1_000_000);
  const fraction = String(millionths % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
};

const canonicalXml = (recipients: readonly ValueRecipient[]) =>
  `<podcast:value type="lightning" method="keysend">${recipients
    .map(
      (r) =>
        `<podcast:valueRecipient${r.name === undefined ? '' : ` name="${escapeXml(r.name)}"`} type="node" address="${r.address}" split="${shareTextOf(r.split)}"${r.fee ? ' fee="true"' : ''}${r.customKey === undefined ? '' : ` customKey="${r.customKey}" customValue="${escapeXml(r.customValue ?? '')}"`}${r.method === undefined ? '' : ` method="${r.method}"`}/>`,
    )
    .join('')}</podcast:value>`;

/** What accepted recipients must satisfy: the canonical form parses and splits alike. */
const checkCanonical = (recipients: ValueRecipient[]) => {
  for (const recipient of recipients) {
    expect(Number.isFinite(recipient.split) && recipient.split > 0).toBe(true);
  }
  const again = accepted(() => parseValueBlockXml(canonicalXml(recipients)));
  expect(again, canonicalXml(recipients)).toBeDefined();
  const amounts = (list: readonly ValueRecipient[]) =>
    splitValue(1_000_000_007n, list, { minPartMsat: 0n }).parts.map((part) => part.amountMsat);
  expect(amounts(again ?? [])).toEqual(amounts(recipients));
  expect(again?.map(({ split: _s, ...rest }) => rest)).toEqual(
    recipients.map(({ split: _s, ...rest }) => rest),
  );
};

/**
 * Runs `parse` on every generated input: a ValidationError or recipients whose canonical form
 * holds. Returns how many inputs were accepted (a property that accepts nothing checks nothing).
 */
const checkParser = <T>(inputs: fc.Arbitrary<T>, parse: (input: T) => ValueRecipient[]) => {
  let acceptedCount = 0;
  fc.assert(
    fc.property(inputs, (input) => {
      const recipients = accepted(() => parse(input));
      if (!recipients) return;
      acceptedCount += 1;
      checkCanonical(recipients);
    }),
    RUNS,
  );
  return acceptedCount;
};

const PUBKEYS = [G, pubkeyHex(2), pubkeyHex(3), `${G.slice(0, 64)}00`, 'not-a-key', ''];
const hostileNumbers = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    1e303,
    1e21,
    1e9,
    9_007_199_254.740993,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    5e-7,
    1e-7,
    1e-6,
    -0,
    0.1,
    100,
    50,
    Number.POSITIVE_INFINITY,
    Number.NaN,
  ),
);
const splitTexts = fc.oneof(
  hostileNumbers.map(String),
  fc.constantFrom('1e303', '9'.repeat(400), '0.0000005', ' 7 ', '1.', '.5', '0x10', '', '١٢'),
  fc.stringMatching(/^[0-9]{1,12}(\.[0-9]{1,9})?$/),
);
const texts = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'Tom &amp; Jerry',
    '&lt;host&gt;',
    '&#x41;&#65;',
    '&#0;',
    '&#xD800;',
    '&#x110000;',
    '&foo;',
    '&lol9;',
    '& alone',
    '"quoted"',
    '\u0000',
    'a'.repeat(2000),
  ),
);
const digits = fc.oneof(
  fc.constantFrom('696969', '65536', '5482373484', '34349334', '1', '0', '18446744073709551616'),
  fc.stringMatching(/^[0-9]{1,22}$/),
);

/** Mostly payable input, each part now and then hostile: deep enough to reach the split rules. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: bad, weight: 1 });
const goodPubkeys = fc.constantFrom(G, pubkeyHex(2), pubkeyHex(3), pubkeyHex(4), pubkeyHex(5));
const goodSplits = fc.oneof(
  fc.integer({ min: 1, max: 100 }),
  fc.double({ min: 0.000001, max: 1000, noNaN: true }),
);
const goodNames = fc.string({ maxLength: 20 });
const methodTexts = fc.constantFrom('keysend', 'amp', 'auto', '', 'AMP', 'mpp');

/** Attribute text as it would sit inside double quotes (raw: entities and all). */
const attribute = (name: string, value: fc.Arbitrary<string>) =>
  value.map((text) => ` ${name}="${text.replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`);
const sometimes = (part: fc.Arbitrary<string>) => fc.option(part, { nil: '' });

const xmlRecipient = fc
  .tuple(
    sometimes(attribute('name', mostly(goodNames, texts))),
    mostly(attribute('type', fc.constant('node')), sometimes(attribute('type', texts))),
    mostly(
      attribute('address', goodPubkeys),
      sometimes(attribute('address', fc.constantFrom(...PUBKEYS))),
    ),
    mostly(
      attribute('split', goodSplits.map(shareTextOf)),
      sometimes(attribute('split', splitTexts)),
    ),
    sometimes(
      attribute('fee', mostly(fc.constant('false'), fc.constantFrom('true', 'yes', ' true '))),
    ),
    mostly(
      fc.constant(''),
      fc
        .tuple(
          sometimes(attribute('customKey', digits)),
          sometimes(attribute('customValue', texts)),
        )
        .map(([key, value]) => key + value),
    ),
    sometimes(attribute('method', mostly(methodTexts, texts))),
  )
  .map((parts) => `<podcast:valueRecipient${parts.join('')}/>`);

/** DOCTYPEs that declare entities: many, large, nested (billion laughs), external. */
const doctypes = fc.constantFrom(
  '<!DOCTYPE value>',
  `<!DOCTYPE value [${Array.from({ length: 1_100 }, (_, i) => `<!ENTITY e${i} "x">`).join('')}]>`,
  `<!DOCTYPE value [<!ENTITY big "${'x'.repeat(9_000)}">]>`,
  `<!DOCTYPE value [<!ENTITY lol0 "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('')}]>`,
  '<!DOCTYPE value SYSTEM "file:///etc/passwd">',
);

const xmlBlock = fc
  .tuple(
    fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>'),
    mostly(fc.constant(''), doctypes),
    mostly(attribute('type', fc.constant('lightning')), sometimes(attribute('type', texts))),
    mostly(attribute('method', fc.constant('keysend')), sometimes(attribute('method', texts))),
    fc.array(xmlRecipient, { maxLength: 5 }),
    mostly(
      fc.constant(''),
      fc.constantFrom('text', '<![CDATA[x]]>', '<!-- c -->', '&big;', '&lol9;'),
    ),
  )
  .map(
    ([declaration, doctype, type, method, recipients, filler]) =>
      `${declaration}${doctype}<podcast:value${type}${method}>${filler}${recipients.join('')}</podcast:value>`,
  );

const recipientFields = {
  name: fc.option(mostly(goodNames, fc.oneof(texts, hostileNumbers)), { nil: undefined }),
  split: mostly(goodSplits, fc.oneof(hostileNumbers, splitTexts)),
  fee: fc.option(mostly(fc.constant(false), fc.constantFrom(true, null, 'true')), {
    nil: undefined,
  }),
  customKey: fc.option(
    mostly(fc.constantFrom('696969', '65536'), fc.oneof(digits, hostileNumbers)),
    {
      freq: 4,
      nil: undefined,
    },
  ),
  customValue: fc.option(mostly(fc.string({ minLength: 1, maxLength: 20 }), texts), {
    freq: 4,
    nil: undefined,
  }),
  method: fc.option(
    mostly(
      fc.constantFrom('keysend', 'amp', 'auto'),
      fc.oneof(methodTexts, texts, hostileNumbers, fc.constant(null)),
    ),
    {
      freq: 4,
      nil: undefined,
    },
  ),
};
const dropUndefined = (value: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));
const jsonRecipient = fc
  .record({
    type: mostly(fc.constant('node'), fc.constantFrom('lnaddress', 1)),
    address: mostly(goodPubkeys, fc.constantFrom(...PUBKEYS)),
    ...recipientFields,
  })
  .map(dropUndefined);
const listRecipient = fc
  .record({ pubkey: mostly(goodPubkeys, fc.constantFrom(...PUBKEYS)), ...recipientFields })
  .map(dropUndefined);

describe('value block parsers on hostile input (fast-check, seeded)', () => {
  it('XML: well-formed-looking blocks with hostile attributes, entities and DOCTYPEs', () => {
    expect(checkParser(xmlBlock, parseValueBlockXml)).toBeGreaterThan(100);
  });

  it('XML: arbitrary text', () => {
    // Arbitrary text is almost never a value block: this one checks only that nothing throws.
    checkParser(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('<', '&', '<a')),
      parseValueBlockXml,
    );
  });

  it('JSON: feed and Podcast Index shapes with hostile fields', () => {
    const block = fc.oneof(
      fc.record({
        type: mostly(fc.constant('lightning'), fc.jsonValue()),
        method: mostly(fc.constant('keysend'), fc.jsonValue()),
        recipients: fc.array(jsonRecipient, { minLength: 1, maxLength: 5 }),
      }),
      fc.record({
        model: mostly(
          fc.record({ type: fc.constant('lightning'), method: fc.constant('keysend') }),
          fc.jsonValue(),
        ),
        destinations: mostly(
          fc.array(jsonRecipient, { minLength: 1, maxLength: 5 }),
          fc.jsonValue(),
        ),
      }),
      fc.jsonValue(),
    );
    expect(checkParser(block, parseValueBlockJson)).toBeGreaterThan(100);
  });

  it('the API split list with hostile fields', () => {
    const list = mostly(fc.array(listRecipient, { minLength: 1, maxLength: 5 }), fc.jsonValue());
    expect(checkParser(list, parseSplitList)).toBeGreaterThan(100);
  });
});
