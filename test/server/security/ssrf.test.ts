import { describe, expect, it } from 'vitest';
import { addressProblem, allowEntryProblem, parseAllowList, pickAddress } from '../../../server/security/ssrf.ts';

describe('SSRF guard: which address a name may be reached at', () => {
  it('connects a name with a public and a private address through its public one only', () => {
    expect(pickAddress('mixed.example', ['10.0.0.7', '93.184.216.34'], parseAllowList([]))).toEqual({ address: '93.184.216.34' });
  });

  it('uses the allow-listed family of a dual-stack name (localhost: ::1 and 127.0.0.1, only 127.0.0.1 allowed)', () => {
    expect(pickAddress('localhost', ['::1', '127.0.0.1'], parseAllowList(['127.0.0.1']))).toEqual({ address: '127.0.0.1' });
  });

  it('refuses a name none of whose addresses may be reached, naming the first', () => {
    const picked = pickAddress('meta.example', ['169.254.169.254', '127.0.0.1'], parseAllowList([]));
    expect(picked).toEqual({ refused: expect.stringMatching(/^meta\.example resolves to 169\.254\.169\.254, a link-local address/) });
    expect(pickAddress('::ffff:127.0.0.1', ['::ffff:127.0.0.1'], parseAllowList(['127.0.0.1']))).toEqual({ refused: expect.stringMatching(/IPv4-mapped/) });
  });

  it('refuses the deprecated IPv4-compatible block ::/96 (::127.0.0.1 is ::7f00:1), whatever IPv4 it embeds', () => {
    for (const address of ['::7f00:1', '0:0:0:0:0:0:7f00:1', '::a00:5', '::a9fe:a9fe', '::808:808', '::2']) {
      expect(addressProblem(address), address).toMatch(/IPv4-compatible/);
    }
    expect(pickAddress('::7f00:1', ['::7f00:1'], parseAllowList(['127.0.0.1']))).toEqual({ refused: expect.stringMatching(/^::7f00:1 is a deprecated IPv4-compatible IPv6 address/) });
    expect(pickAddress('compat.example', ['::7f00:1', '93.184.216.34'], parseAllowList([]))).toEqual({ address: '93.184.216.34' });
    // the rest of the block keeps its own name, public IPv6 stays allowed, and an explicit allow-list entry still wins
    expect(addressProblem('::')).toMatch(/unspecified/);
    expect(addressProblem('::1')).toMatch(/loopback/);
    expect(addressProblem('2606:4700:4700::1111')).toBeNull();
    expect(addressProblem('::1:0:0:1')).toBeNull();
    expect(pickAddress('::7f00:1', ['::7f00:1'], parseAllowList(['::7f00:1']))).toEqual({ address: '::7f00:1' });
  });

  it('trusts an allow-listed host name whatever it resolves to', () => {
    expect(pickAddress('sink.internal', ['10.1.2.3'], parseAllowList(['sink.internal']))).toEqual({ address: '10.1.2.3' });
  });

  it('tells an allow-list entry that is neither an IP, a CIDR nor a host name', () => {
    for (const ok of ['127.0.0.1', '::1', '[::1]', '10.0.0.0/8', 'fd00::/8', 'localhost', 'sink.internal', 'hooks.example.com.']) expect(allowEntryProblem(ok), ok).toBeNull();
    for (const bad of ['10.0.0.0/33', 'not a host!', 'http://x', '-bad.example', 'a..b']) expect(allowEntryProblem(bad), bad).toMatch(/is not an IP address, a CIDR range/);
  });
});
