import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboundAddressPolicy, parseNetwork } from './outbound-address.ts';

describe('where a webhook may be', () => {
  const publicOnly = new OutboundAddressPolicy([]);
  const refused = [
    '127.0.0.1',
    '127.8.9.10',
    '0.0.0.0',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    'fd00::1',
    'fe80::1',
    'ff02::1',
  ];
  for (const address of refused) {
    it(`refuses ${address} by default`, () => assert.match(publicOnly.refusal(address) ?? '', /not a public address.*HEARTH_WEBHOOK_ALLOWED_NETWORKS/));
  }
  for (const address of ['1.1.1.1', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111']) {
    it(`allows the public address ${address}`, () => assert.equal(publicOnly.refusal(address), null));
  }

  it('allows exactly the networks configuration names', () => {
    const policy = new OutboundAddressPolicy([parseNetwork('10.0.0.0/8'), parseNetwork('192.168.1.20'), parseNetwork('fd00::/8')]);
    assert.equal(policy.refusal('10.200.0.1'), null);
    assert.equal(policy.refusal('192.168.1.20'), null);
    assert.notEqual(policy.refusal('192.168.1.21'), null);
    assert.equal(policy.refusal('fd12::1'), null);
    assert.notEqual(policy.refusal('127.0.0.1'), null);
  });

  it('refuses what is not an address', () => assert.match(publicOnly.refusal('localhost') ?? '', /not an IP address/));

  const badNetworks: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['fd00::/129', /prefix length must be 0 to 128/],
    ['10.0.0.0/x', /prefix length/],
    ['example.com', /not an IP address or a network/],
    ['10.0.0.0/8/8', /not an IP address or a network/],
  ];
  for (const [text, message] of badNetworks) {
    it(`refuses the network "${text}"`, () => assert.throws(() => parseNetwork(text), message));
  }
});
