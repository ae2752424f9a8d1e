/** The one check of whether an IP address is a host of the public internet (webhook endpoints,
 * Lightning Address servers: every URL fetched or posted to for untrusted input). */
const ipv4Bytes = (ip: string): number[] | undefined => {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((part) => (/^[0-9]{1,3}$/.test(part) ? Number(part) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
};

const publicIpv4 = ([a = 0, b = 0, c = 0]: number[]) =>
  !(
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local (cloud metadata)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) ||
    (a === 192 && b === 0 && c === 2) || // documentation (TEST-NET-1)
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) || // documentation (TEST-NET-2)
    (a === 203 && b === 0 && c === 113) || // documentation (TEST-NET-3)
    a >= 224
  );

/** Expands an IPv6 address to its 8 groups, or `undefined` if it is not one. */
const ipv6Groups = (ip: string): number[] | undefined => {
  let text = ip.toLowerCase().split('%')[0] ?? '';
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (tail) {
    const v4 = ipv4Bytes(tail);
    if (!v4) return undefined;
    text = text.replace(
      tail,
      `${((v4[0] ?? 0) * 256 + (v4[1] ?? 0)).toString(16)}:${((v4[2] ?? 0) * 256 + (v4[3] ?? 0)).toString(16)}`,
    );
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string | undefined) =>
    half
      ? half.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN))
      : [];
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g)) ? groups : undefined;
};

/**
 * Whether an address is on the public internet: not private, loopback, link-local, carrier NAT,
 * multicast or reserved (IPv4), not loopback, unique-local, link-local or an IPv4-mapped private
 * address (IPv6). Anything that is not an address at all is not public.
 */
export const isPublicAddress = (ip: string): boolean => {
  const v4 = ipv4Bytes(ip);
  if (v4) return publicIpv4(v4);
  const g = ipv6Groups(ip);
  if (!g) return false;
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = g;
  if (g.slice(0, 5).every((x) => x === 0) && (g5 === 0xffff || g5 === 0)) {
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible), :: and ::1 among them.
    return publicIpv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  }
  if ((g0 & 0xfe00) === 0xfc00) return false; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
  if ((g0 & 0xff00) === 0xff00) return false; // multicast
  if (g0 === 0x2001 && g[1] === 0x0db8) return false; // documentation 2001:db8::/32
  if (g0 === 0x2002) return false; // 6to4 reaches any IPv4 address, private ones included
  if (g0 === 0x64 && g[1] === 0xff9b) return publicIpv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  return (g0 & 0xe000) === 0x2000; // global unicast 2000::/3
};
