import Table from 'cli-table3';

const group = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Exact msat as sats for people: `21,000`, `1.5`, `0.001` (no float rounding). */
export const formatSats = (msat: bigint | string | number): string => {
  const value = BigInt(msat);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = group((abs / 1000n).toString());
  const fraction = (abs % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
};

/** `21,000 sats`, `1 sat`. */
export const satsLabel = (msat: bigint | string | number): string => {
  const text = formatSats(msat);
  return `${text} ${text === '1' ? 'sat' : 'sats'}`;
};

/** Exact msat as a plain decimal sats string for CSV: `21000`, `1.5`. */
export const plainSats = (msat: bigint | string | number): string =>
  formatSats(msat).replaceAll(',', '');

/** Exact msat with thousands separators: `5,400,000`. */
export const formatMsat = (msat: bigint | string): string => {
  const text = BigInt(msat).toString();
  return text.startsWith('-') ? `-${group(text.slice(1))}` : group(text);
};

/** `1,234` */
export const formatCount = (count: number): string => group(String(count));

/** `02ab12cd…ef34` for a 66-hex node id; other strings unchanged. */
export const shortKey = (key: string | undefined, keep = 8): string =>
  key && key.length > keep * 2 + 1 ? `${key.slice(0, keep)}…${key.slice(-4)}` : (key ?? '');

/** `2m 05s`, `41s`, `1h 02m`. */
export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
};

/** A plain table (no colours: output may be a file or a CI log). */
export const renderTable = (
  head: string[],
  rows: Array<Array<string | number>>,
  {
    alignRight = [] as number[],
    wrap = {} as Record<number, number>,
  }: { alignRight?: number[]; wrap?: Record<number, number> } = {},
): string => {
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, index) => (alignRight.includes(index) ? 'right' : 'left')),
    // Long columns (failure reasons) wrap at a width instead of stretching the table.
    ...(Object.keys(wrap).length > 0
      ? {
          colWidths: head.map((_, index) => wrap[index] ?? null) as number[],
          wordWrap: true,
          wrapOnWordBoundary: true,
        }
      : {}),
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
};

/** A name for a pubkey when the local stack knows it: `carol (02ab…)`. */
export const describeNode = (pubkey: string | undefined, names: ReadonlyMap<string, string>) => {
  if (!pubkey) return '?';
  if (pubkey.includes('@')) return pubkey; // a Lightning Address, shown as given
  const name = names.get(pubkey.toLowerCase());
  return name ? `${name} (${shortKey(pubkey)})` : shortKey(pubkey);
};
