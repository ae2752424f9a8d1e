// Formatting shared by the dashboard's modules. Amounts arrive as msat decimal strings (exact);
// they are shown in sats.

/** "1,234 sats", "0.5 sats": msat (decimal string, number or bigint) in sats, exact. */
export const formatMsat = (msat) => {
  const value = BigInt(msat ?? 0);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = (abs / 1000n).toLocaleString('en-US');
  const rest = abs % 1000n;
  const text = rest === 0n ? whole : `${whole}.${String(rest).padStart(3, '0').replace(/0+$/, '')}`;
  return `${negative ? '-' : ''}${text} sat${abs === 1000n ? '' : 's'}`;
};

/** msat as a (fractional) number of sats, for chart scales only (precision beyond 2^53 msat is not needed there). */
export const msatToChartSats = (msat) => Number(BigInt(msat ?? 0)) / 1000;

/** "1,234" with thousands separators. */
export const formatCount = (n) => Number(n).toLocaleString('en-US');

/** "03c795be…6bb1b6a6": enough of a node key to tell nodes apart. */
export const shortPubkey = (pubkey) =>
  typeof pubkey === 'string' && pubkey.length > 20
    ? `${pubkey.slice(0, 8)}\u2026${pubkey.slice(-8)}`
    : String(pubkey ?? '');

const pad = (n) => String(n).padStart(2, '0');
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** A bucket's label in UTC: "14:00" for hours, "Nov 24" for days. */
export const bucketLabel = (iso, bucket) => {
  const date = new Date(iso);
  return bucket === 'hour'
    ? `${pad(date.getUTCHours())}:00`
    : `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
};

/** "2026-11-24 14:05:09 UTC". */
export const formatTime = (iso) => {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
};

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text made safe for HTML and SVG markup (content and attribute values). */
export const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
