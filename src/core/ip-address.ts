/**
 * What kind of address an IP literal is, so that a URL given by an admin (IdP metadata) can never make
 * the server reach its own network: loopback, private, link-local (cloud metadata at 169.254.169.254),
 * and every special-purpose range are refused; IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4)
 * is judged by the IPv4 address it carries.
 */

export type AddressKind = 'public' | 'loopback' | 'private' | 'link_local' | 'unspecified' | 'reserved';

/** Dotted-quad IPv4 (four decimal octets, as the URL parser and DNS write them), else null. */
export function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets = parts.map((part) => (/^(0|[1-9]\d{0,2})$/.test(part) ? Number(part) : NaN));
  return octets.every((n) => n >= 0 && n <= 255) ? octets : null;
}

/** IPv6 as eight 16-bit groups (`::` compression, a trailing dotted quad and a `%zone` allowed), else null. */
export function parseIpv6(text: string): number[] | null {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%[^%]*$/, '');
  if (!address.includes(':')) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

function classifyIpv4([a, b, c]: number[]): AddressKind {
  const x = a!;
  const y = b!;
  if (x === 0) return 'unspecified'; // 0.0.0.0/8: "this network", reaches the host itself on Linux
  if (x === 127) return 'loopback';
  if (x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168)) return 'private';
  if (x === 100 && y >= 64 && y <= 127) return 'private'; // carrier-grade NAT, 100.64/10
  if (x === 169 && y === 254) return 'link_local';
  if (x === 192 && y === 0 && (c === 0 || c === 2)) return 'reserved'; // IETF protocol assignments, TEST-NET-1
  if (x === 198 && (y === 18 || y === 19)) return 'reserved'; // benchmarking
  if ((x === 198 && y === 51 && c === 100) || (x === 203 && y === 0 && c === 113)) return 'reserved'; // TEST-NET-2/3
  if (x >= 224) return 'reserved'; // multicast, 240/4, broadcast
  return 'public';
}

function classifyIpv6(g: number[]): AddressKind {
  const v4At = (i: number) => [g[i]! >> 8, g[i]! & 0xff, g[i + 1]! >> 8, g[i + 1]! & 0xff];
  const zeros = (from: number, to: number) => g.slice(from, to).every((n) => n === 0);
  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  if (zeros(0, 5) && g[5] === 0xffff) return classifyIpv4(v4At(6)); // ::ffff:a.b.c.d (mapped)
  if (zeros(0, 6)) return classifyIpv4(v4At(6)); // ::a.b.c.d (IPv4-compatible, deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return classifyIpv4(v4At(6)); // NAT64 64:ff9b::/96
  if (g[0] === 0x2002) return classifyIpv4(v4At(1)); // 6to4 carries an IPv4 address in bits 16-47
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if ((first & 0xffc0) === 0xfec0) return 'private'; // site-local fec0::/10 (deprecated)
  if ((first & 0xff00) === 0xff00) return 'reserved'; // multicast
  if (first === 0x2001 && (g[1] === 0x0db8 || g[1] === 0)) return 'reserved'; // documentation, Teredo
  if (first === 0x0100 && zeros(1, 4)) return 'reserved'; // discard-only 100::/64
  if ((first & 0xe000) !== 0x2000) return 'reserved'; // outside global unicast 2000::/3
  return 'public';
}

/** The kind of an IP literal (IPv4 dotted quad, IPv6 with or without brackets); null when it is not one (a host name). */
export function classifyAddress(text: string): AddressKind | null {
  const v4 = parseIpv4(text);
  if (v4) return classifyIpv4(v4);
  const v6 = parseIpv6(text);
  return v6 ? classifyIpv6(v6) : null;
}
