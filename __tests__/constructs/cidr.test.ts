import { describe, expect, it } from 'vitest';
import { cidrContains, cidrsOverlap, parseCidr, type Ipv4Cidr } from '../../constructs/cidr';

function cidr(text: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

describe('parseCidr', () => {
  it('reads the network address and size of a block', () => {
    expect(cidr('10.1.0.0/16')).toMatchObject({ prefix: 16, size: 65536, network: 10 * 2 ** 24 + 1 * 2 ** 16 });
  });

  it.each([
    ['10.0.0/16', /not an IPv4 CIDR/],
    ['10.0.0.0', /not an IPv4 CIDR/],
    ['10.0.256.0/24', /octet above 255/],
    ['10.0.0.0/33', /prefix length above 32/],
    ['10.0.1.5/24', /host bits set; the block starts at 10\.0\.1\.0\/24/],
  ])('rejects %s', (text, message) => {
    const parsed = parseCidr(text);
    expect('error' in parsed && parsed.error).toMatch(message);
  });
});

describe('cidrContains / cidrsOverlap', () => {
  it.each([
    ['10.0.0.0/16', '10.0.255.0/24', true],
    ['10.0.0.0/16', '10.1.0.0/24', false],
    ['10.0.0.0/16', '10.0.0.0/15', false],
  ])('%s contains %s: %s', (outer, inner, expected) => {
    expect(cidrContains(cidr(outer), cidr(inner))).toBe(expected);
  });

  it.each([
    ['10.0.0.0/24', '10.0.0.128/25', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/20', '10.0.15.0/24', true],
  ])('%s overlaps %s: %s', (a, b, expected) => {
    expect(cidrsOverlap(cidr(a), cidr(b))).toBe(expected);
    expect(cidrsOverlap(cidr(b), cidr(a))).toBe(expected);
  });
});
