/**
 * Small, dependency-free IPv4 CIDR arithmetic used by config validation.
 * Addresses are handled as unsigned 32-bit integers.
 */

export interface Ipv4Cidr {
  /** The text as written in config, e.g. `10.0.0.0/16`. */
  readonly text: string;
  /** First address of the block. */
  readonly network: number;
  /** Prefix length, 0 to 32. */
  readonly prefix: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses an IPv4 CIDR block. Returns an error string (never throws) so that
 * callers can attach it to the config field that holds the value.
 */
export function parseCidr(text: string): Ipv4Cidr | { error: string } {
  const match = CIDR_PATTERN.exec(text);
  if (!match) {
    return { error: `"${text}" is not an IPv4 CIDR block; write it as a.b.c.d/n, e.g. 10.0.0.0/16` };
  }
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) {
    return { error: `"${text}" has an octet above 255` };
  }
  if (prefix > 32) {
    return { error: `"${text}" has a prefix length above 32` };
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) {
    return {
      error: `"${text}" has host bits set; the block starts at ${formatAddress(network)}/${prefix}`,
    };
  }
  return { text, network, prefix, size };
}

export function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.network >= outer.network && inner.network + inner.size <= outer.network + outer.size;
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + b.size && b.network < a.network + a.size;
}
