import { BlockList, isIP } from 'node:net';

/*
 * Where the server may send a request a user chose the address of (a bot's webhook): public
 * addresses only, unless configuration allows a private network by name. Otherwise an
 * administrator could make Hearth call its own backends (http://127.0.0.1:6379/, the cloud's
 * metadata service at 169.254.169.254) and read their answers back as the bot's reply.
 */

export interface Network {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Addresses that are not the public internet (IANA special-purpose registries), by family. */
const NOT_PUBLIC: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  // An IPv4-mapped address (::ffff:127.0.0.1) is checked against the IPv4 rules by BlockList
  // itself; NAT64 prefixes reach IPv4 hosts, private ones included.
  ['64:ff9b::', 96, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001::', 23, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['2002::', 16, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const notPublic = blockListOf(NOT_PUBLIC.map(([address, prefix, family]) => ({ address, prefix, family })));

function blockListOf(networks: readonly Network[]): BlockList {
  const list = new BlockList();
  for (const { address, prefix, family } of networks) list.addSubnet(address, prefix, family);
  return list;
}

/** `10.0.0.0/8`, `fd00::/8`, or one address (`10.1.2.3`: a /32, or a /128); throws saying what is wrong. */
export function parseNetwork(text: string): Network {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) throw new Error(`"${text}" is not an IP address or a network (like 10.0.0.0/8 or fd00::/8)`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(bits)) || prefix > bits) throw new Error(`"${text}": the prefix length must be 0 to ${bits}`);
  return { address, prefix, family };
}

/** Decides, for each address a host resolved to, whether the server may connect to it. */
export class OutboundAddressPolicy {
  readonly #allowed: BlockList;

  constructor(allowed: readonly Network[]) {
    this.#allowed = blockListOf(allowed);
  }

  /** Why `address` may not be connected to, or null when it may. */
  refusal(address: string): string | null {
    const version = isIP(address);
    if (version === 0) return `${address} is not an IP address`;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (!notPublic.check(address, family) || this.#allowed.check(address, family)) return null;
    return `${address} is not a public address (allow its network with HEARTH_WEBHOOK_ALLOWED_NETWORKS)`;
  }
}
