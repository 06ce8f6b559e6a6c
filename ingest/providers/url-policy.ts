import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Which base URLs a caller of the API may send the server's requests to. */
export interface UrlPolicy {
  allowPrivateUrls: boolean;
  allowLoopbackUrls: boolean;
}

/** A base URL the policy refuses: the message names the setting that would allow it, if any. */
export class UrlRefusedError extends Error {}

function blockList(v4: [string, number][], v6: [string, number][]): BlockList {
  const b = new BlockList();
  for (const [net, prefix] of v4) b.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) b.addSubnet(net, prefix, 'ipv6');
  return b;
}

/**
 * Never reachable through the API: link-local (cloud metadata services live there: 169.254.169.254,
 * fd00:ec2::254), "this network" (0/8: connecting to 0.0.0.0 reaches the host itself), multicast, reserved.
 */
const ALWAYS = blockList(
  [
    ['169.254.0.0', 16],
    ['0.0.0.0', 8],
    ['100.100.100.200', 32], // Alibaba Cloud metadata
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ],
  [
    ['fe80::', 10],
    ['fd00:ec2::254', 128], // AWS metadata over IPv6 (inside fc00::/7, refused even when private is allowed)
    ['::', 128],
    ['ff00::', 8],
  ],
);
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data']);
const LOOPBACK = blockList([['127.0.0.0', 8]], [['::1', 128]]);
const PRIVATE = blockList(
  [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10], // carrier-grade NAT, internal in practice
  ],
  [['fc00::', 7]],
);

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included). */
function groups(v6: string): number[] {
  let text = v6;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * The IPv4 address an IPv6 one stands for, if any: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96)
 * and 6to4 (2002::/16) reach an IPv4 host, so that host's range is what counts.
 */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (isIP(address) !== 6) return { address, family: 'ipv4' };
  const g = groups(address);
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return { address: v4(g[6]!, g[7]!), family: 'ipv4' };
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return { address: v4(g[6]!, g[7]!), family: 'ipv4' };
  if (g[0] === 0x2002) return { address: v4(g[1]!, g[2]!), family: 'ipv4' };
  return { address, family: 'ipv6' };
}

function checkAddress(address: string, shown: string, policy: UrlPolicy): void {
  const a = normalise(address);
  const via =
    (shown === address ? '' : ` (${shown} resolves to ${address})`) +
    (a.address === address ? '' : ` (it stands for ${a.address})`);
  if (ALWAYS.check(a.address, a.family)) {
    throw new UrlRefusedError(
      `base_url ${shown} is refused: ${address} is a link-local, metadata or reserved address${via}`,
    );
  }
  if (LOOPBACK.check(a.address, a.family) && !policy.allowLoopbackUrls) {
    throw new UrlRefusedError(
      `base_url ${shown} is refused: ${address} is a loopback address${via}; set RUN_ALLOW_LOOPBACK_URLS=true to allow it`,
    );
  }
  if (PRIVATE.check(a.address, a.family) && !policy.allowPrivateUrls) {
    throw new UrlRefusedError(
      `base_url ${shown} is refused: ${address} is a private address${via}; set RUN_ALLOW_PRIVATE_URLS=true to allow it`,
    );
  }
}

export type Lookup = (host: string) => Promise<{ address: string }[]>;
const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Checks a base URL given through the API: http(s) only, and neither its host nor any address its name
 * resolves to in a refused range (a public name may point at 127.0.0.1 or 169.254.169.254).
 * The name is checked when the run is submitted; requests never follow redirects (see registry.ts).
 */
export async function checkBaseUrl(raw: string, policy: UrlPolicy, lookup = systemLookup): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlRefusedError(`base_url ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlRefusedError(`base_url ${raw} is refused: only http and https URLs are accepted`);
  }
  if (url.username || url.password) {
    throw new UrlRefusedError(`base_url ${url.host} is refused: credentials in the URL are not accepted`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (METADATA_NAMES.has(host.toLowerCase())) {
    throw new UrlRefusedError(`base_url ${url.host} is refused: ${host} is a cloud metadata service`);
  }
  if (isIP(host)) return checkAddress(host, host, policy);
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    throw new UrlRefusedError(
      `base_url ${url.host} is refused: ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (addresses.length === 0)
    throw new UrlRefusedError(`base_url ${url.host} is refused: ${host} does not resolve`);
  for (const { address } of addresses) checkAddress(address, host, policy);
}
