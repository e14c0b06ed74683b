import ipaddr from 'ipaddr.js';

/**
 * The network a client is counted as: an IPv4 address alone, an IPv6 address by its prefix
 * (one customer's /64 holds more addresses than any counter could), IPv4-mapped IPv6 as IPv4.
 * The same text for the same client on every path (tokens, passwords, app passwords, HTTPS).
 */
export function clientNetwork(ip: string, ipv6Prefix: number): string {
  if (!ipaddr.isValid(ip)) return 'invalid';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${ipv6Prefix}`);
  return `${network.toString()}/${ipv6Prefix}`;
}

/** A network in CIDR notation, or a bare address (one host); throws on anything else. */
export function parseNetwork(network: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (network.includes('/')) return ipaddr.parseCIDR(network);
  const address = ipaddr.parse(network);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

export interface NetworkList {
  contains(ip: string): boolean;
}

/** Networks in CIDR notation (a bare address is one host), IPv4-mapped IPv6 addresses matched as IPv4. */
export function networkList(networks: readonly string[]): NetworkList {
  const ranges = networks.map(parseNetwork);
  return {
    contains(ip) {
      if (!ipaddr.isValid(ip)) return false;
      const address = ipaddr.process(ip);
      return ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
    },
  };
}
