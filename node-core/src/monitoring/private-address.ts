// Which addresses are loopback, private, link-local or unique-local: for "a target that is a private
// address when the admin has forbidden them" and notification URLs. Pure TS: the board bundles it.

/** 4 or 6 for a literal IP address, else 0 (no node:net: the board also runs in the renderer's demo mode) */
export function isIP(h: string): 0 | 4 | 6 {
  if (/^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(h)) return 4;
  if (!h.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(h)) return 0;
  try {
    new URL(`http://[${h}]/`);
    return 6;
  } catch {
    return 0;
  }
}

/** "localhost" and names under .localhost, and literal private addresses in any spelling node accepts */
export function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isPrivateAddress(h);
}

/**
 * True for an IP literal in a range that is not on the public internet: IPv4 0/8, 10/8, 100.64/10 (carrier NAT),
 * 127/8, 169.254/16, 172.16/12, 192.168/16, 255.255.255.255; IPv6 ::, ::1, fc00::/7, fe80::/10, and IPv4-mapped or
 * IPv4-compatible forms of the IPv4 ranges (::ffff:10.0.0.1). Brackets and a zone (%eth0) are ignored. Not an IP → false.
 */
export function isPrivateAddress(ip: string): boolean {
  if (typeof ip !== 'string' || ip.length > 100) return false;
  let s = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = s.indexOf('%');
  if (zone >= 0 && s.includes(':')) s = s.slice(0, zone);
  if (isIP(s) === 4) return privateV4(s.split('.').map(Number));
  if (isIP(s) !== 6) return false;
  const h = expandV6(s);
  if (!h) return false;
  if (h.every((x) => x === 0) || (h.slice(0, 7).every((x) => x === 0) && h[7] === 1)) return true; // :: and ::1
  const first = h[0] ?? 0;
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80) return true; // fc00::/7, fe80::/10
  const embedsV4 = h.slice(0, 5).every((x) => x === 0) && (h[5] === 0xffff || h[5] === 0); // ::ffff:a.b.c.d, ::a.b.c.d
  if (embedsV4) return privateV4([(h[6] ?? 0) >> 8, (h[6] ?? 0) & 0xff, (h[7] ?? 0) >> 8, (h[7] ?? 0) & 0xff]);
  return false;
}

function privateV4(o: number[]): boolean {
  const [a = 0, b = 0] = o;
  if (a === 0 || a === 10 || a === 127) return true;
  if (a === 100 && b >= 64 && b <= 127) return true;
  if (a === 169 && b === 254) return true;
  if (a === 172 && b >= 16 && b <= 31) return true;
  if (a === 192 && b === 168) return true;
  return o.every((x) => x === 255);
}

/** eight 16-bit groups of a valid IPv6 text (isIPv6 already passed), a trailing dotted IPv4 included */
function expandV6(s: string): number[] | null {
  let text = s.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const o = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${(((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16)}:${(((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(0, fill)).fill('0'), ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
