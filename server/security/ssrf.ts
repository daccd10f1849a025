import dns from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard: outbound notification targets must resolve to public unicast
 * addresses, unless the operator allow-listed them (VIGIL_ALLOW_PRIVATE_TARGETS:
 * IPs, CIDRs or host names). ipaddr.js classifies. The same rule answers on
 * save (targetProblem: a clear field error beats a failed delivery) and at
 * connect time (connectAddress, used by channels/http-client.ts).
 */
export interface AllowList {
  /** IPs and CIDRs */
  addresses: string[];
  /** lower-cased host names */
  hosts: Set<string>;
}

/** parseAllowList splits VIGIL_ALLOW_PRIVATE_TARGETS entries into addresses/CIDRs and host names. */
export function parseAllowList(entries: string[]): AllowList {
  const addresses: string[] = [];
  const hosts = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim().replace(/^\[|\]$/g, '');
    if (!entry) continue;
    if (net.isIP(entry) || isCidr(entry)) addresses.push(entry);
    else hosts.add(entry.toLowerCase());
  }
  return { addresses, hosts };
}

const HOST_NAME = /^(?=.{1,253}\.?$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** allowEntryProblem says why a VIGIL_ALLOW_PRIVATE_TARGETS entry is not an IP, a CIDR or a host name; null when it is one. */
export function allowEntryProblem(raw: string): string | null {
  const entry = raw.trim().replace(/^\[|\]$/g, '');
  if (net.isIP(entry) || isCidr(entry) || (HOST_NAME.test(entry) && !entry.includes('/'))) return null;
  return `"${raw.trim()}" is not an IP address, a CIDR range (10.0.0.0/8) or a host name`;
}

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

function inAllowList(address: string, allow: AllowList): boolean {
  const parsed = ipaddr.parse(address);
  return allow.addresses.some((entry) => {
    if (net.isIP(entry)) return ipaddr.parse(entry).toString() === parsed.toString();
    const [range, bits] = ipaddr.parseCIDR(entry);
    return parsed.kind() === range.kind() && parsed.match([range, bits] as [typeof range, number]);
  });
}

const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96];

/** addressProblem says why an IP may not be a target ("loopback", "private"...), or null when it may. */
export function addressProblem(address: string): string | null {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return 'an IPv4-mapped IPv6 address';
  }
  const range = parsed.range();
  if (range === 'unicast') {
    // ipaddr.js calls the deprecated IPv4-compatible block ::/96 (RFC 4291 2.5.5.1)
    // unicast, but ::127.0.0.1 (::7f00:1) embeds loopback, ::10.0.0.5 a private
    // address. Nothing legitimate uses the block (:: and ::1 in it are named
    // above), so it is refused outright rather than judged by what it embeds.
    if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return 'a deprecated IPv4-compatible IPv6 address (::/96)';
    return null;
  }
  const names: Record<string, string> = {
    loopback: 'a loopback address',
    private: 'a private-network address',
    linkLocal: 'a link-local address (cloud metadata lives here)',
    unspecified: 'the unspecified address',
    uniqueLocal: 'a private-network (unique local) address',
    carrierGradeNat: 'a carrier-grade NAT address',
    broadcast: 'a broadcast address',
    multicast: 'a multicast address',
    reserved: 'a reserved address',
  };
  return names[range] ?? `a ${range} address`;
}

export function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

async function resolveAll(host: string, timeoutMs: number): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const lookup = dns.lookup(host, { all: true, verbatim: true }).then((rows) => rows.map((r) => r.address));
  const timeout = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), timeoutMs).unref());
  // A name that does not resolve (yet) is not an SSRF; the delivery will report it.
  return Promise.race([lookup.catch(() => [] as string[]), timeout]);
}

/** refusal explains why `name`, resolved to `address`, may not be a target; null when it may. */
function refusal(name: string, address: string, allow: AllowList): string | null {
  if (inAllowList(address, allow)) return null;
  const problem = addressProblem(address);
  if (!problem) return null;
  return net.isIP(name)
    ? `${name} is ${problem}; outbound targets must be public (allow it with VIGIL_ALLOW_PRIVATE_TARGETS)`
    : `${name} resolves to ${address}, ${problem}; outbound targets must be public (allow it with VIGIL_ALLOW_PRIVATE_TARGETS)`;
}

/**
 * pickAddress: of a name's addresses, the first one it may connect to, or why none may.
 * Only a checked address is ever connected to, so a name that also resolves to a
 * private address (localhost: 127.0.0.1 and ::1, with only 127.0.0.1 allowed) is
 * usable through its acceptable one.
 */
export function pickAddress(name: string, addresses: string[], allow: AllowList): { address: string } | { refused: string } {
  if (allow.hosts.has(name)) return { address: addresses[0]! };
  let first: string | null = null;
  for (const address of addresses) {
    const refused = refusal(name, address, allow);
    if (!refused) return { address };
    first ??= refused;
  }
  return { refused: first! };
}

/** targetProblem resolves `host` and returns a sentence explaining why it is refused, or null when allowed. */
export async function targetProblem(host: string, allow: AllowList, timeoutMs = 2000): Promise<string | null> {
  const name = bareHost(host);
  if (allow.hosts.has(name)) return null;
  const addresses = await resolveAll(name, timeoutMs);
  if (addresses.length === 0) return null;
  const picked = pickAddress(name, addresses, allow);
  return 'refused' in picked ? picked.refused : null;
}

/**
 * connectAddress is the guard at connect time: it resolves `host` once and
 * answers the address to connect to - so the address checked is the address
 * used, and DNS rebinding cannot slip past - or why the host is refused (none
 * of its addresses public or allow-listed). A name that does not resolve throws.
 */
export async function connectAddress(host: string, allow: AllowList): Promise<{ address: string } | { refused: string }> {
  const name = bareHost(host);
  const addresses = net.isIP(name) ? [name] : (await dns.lookup(name, { all: true, verbatim: true })).map((r) => r.address);
  if (addresses.length === 0) throw new Error(`getaddrinfo ENOTFOUND ${name}`);
  return pickAddress(name, addresses, allow);
}

/** urlProblem applies targetProblem to a URL's host. */
export async function urlProblem(url: string, allow: AllowList): Promise<string | null> {
  return targetProblem(new URL(url).hostname, allow);
}

/** isPrivateHost: does the host resolve to anything but public unicast addresses? */
export async function isPrivateHost(host: string): Promise<boolean> {
  const addresses = await resolveAll(bareHost(host), 2000);
  return addresses.some((a) => addressProblem(a) !== null);
}
