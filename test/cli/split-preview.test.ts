import { describe, expect, it } from 'vitest';
import { parseSplitSource, previewSplit } from '../../cli/split-preview.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { pubkeyHex, thrown } from '../shared/domain/helpers.js';

const P1 = pubkeyHex(1);
const P2 = pubkeyHex(2);
const P3 = pubkeyHex(3);

const xml = `<podcast:value type="lightning" method="keysend">
  <podcast:valueRecipient name="Host" type="node" address="${P1}" split="60"/>
  <podcast:valueRecipient name="Co-host" type="node" address="${P2}" split="40"/>
  <podcast:valueRecipient name="App" type="node" address="${P3}" split="10" fee="true"/>
</podcast:value>`;

describe('parseSplitSource', () => {
  it('reads XML and sends it as the valueBlock string', () => {
    const source = parseSplitSource('value.xml', xml);
    expect(source.recipients.map((r) => r.name)).toEqual(['Host', 'Co-host', 'App']);
    expect(source.field).toEqual({ valueBlock: xml });
  });

  it('reads a JSON value block and a plain list', () => {
    const block = {
      type: 'lightning',
      method: 'keysend',
      recipients: [{ type: 'node', address: P1, split: 1 }],
    };
    expect(parseSplitSource('v.json', JSON.stringify(block)).field).toEqual({ valueBlock: block });
    const list = [{ pubkey: P2, split: 3, name: 'B' }];
    expect(parseSplitSource('l.json', JSON.stringify(list)).field).toEqual({ recipients: list });
  });

  it('says what is wrong with a bad block', () => {
    expect(
      thrown(() => parseSplitSource('v.xml', '<podcast:value type="lightning" method="amp"/>')),
    ).toBeInstanceOf(ValidationError);
    expect(() => parseSplitSource('v.txt', 'nope')).toThrow(/neither XML .* nor JSON/);
  });
});

describe('previewSplit', () => {
  it('is the split the API makes: fee off the top, shares by largest remainder, whole sats', () => {
    const { recipients } = parseSplitSource('value.xml', xml);
    const preview = previewSplit(recipients, 10_000_000n);
    expect(preview.parts.map((p) => [p.name, p.amountMsat])).toEqual([
      ['Host', 5_400_000n],
      ['Co-host', 3_600_000n],
      ['App', 1_000_000n],
    ]);
    expect(preview.belowMinimum).toEqual([]);
  });

  it('keeps the total exact when shares do not divide it', () => {
    const { recipients } = parseSplitSource(
      'l.json',
      JSON.stringify([
        { pubkey: P1, split: 1 },
        { pubkey: P2, split: 1 },
        { pubkey: P3, split: 1 },
      ]),
    );
    const preview = previewSplit(recipients, 100_000n);
    expect(preview.parts.map((p) => p.amountMsat)).toEqual([34_000n, 33_000n, 33_000n]);
  });

  it('lists parts below the minimum instead of paying them', () => {
    const { recipients } = parseSplitSource(
      'l.json',
      JSON.stringify([
        { pubkey: P1, split: 99 },
        { pubkey: P2, split: 1 },
      ]),
    );
    const preview = previewSplit(recipients, 50_000n, { minPartMsat: 5000n });
    expect(preview.parts.map((p) => p.amountMsat)).toEqual([50_000n]);
    expect(preview.belowMinimum.map((p) => [p.recipient, p.amountMsat])).toEqual([[P2, 0n]]);
  });
});
