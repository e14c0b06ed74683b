import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { PermitDocker } from '../config/settings.ts';

const LOOPBACK = ['127.0.0.0/8', '[::1]/128'];

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The container's own IPv4 addresses with their prefix lengths (loopback left out). */
function ownNetworks(interfaces: Interfaces): { address: string; cidr: string }[] {
  return Object.values(interfaces)
    .flat()
    .filter(
      (info): info is NetworkInterfaceInfo =>
        info !== undefined && info.family === 'IPv4' && !info.internal && info.cidr !== null,
    )
    .map((info) => ({ address: info.address, cidr: info.cidr as string }));
}

/**
 * Postfix's mynetworks for docker-mailserver's PERMIT_DOCKER: clients there relay without signing
 * in. `none` (the default) trusts no one, loopback included: a webmail or script in the container
 * signs in like anyone else. The other values add loopback and what docker-mailserver adds.
 */
export function mynetworks(permitDocker: PermitDocker, interfaces: Interfaces = networkInterfaces()): string[] {
  const own = ownNetworks(interfaces);
  const first = own[0];
  switch (permitDocker) {
    case 'none':
      return [];
    case 'container':
      return [...LOOPBACK, ...(first ? [`${first.address}/32`] : [])];
    case 'host':
      return [...LOOPBACK, ...(first ? [`${first.address.split('.').slice(0, 2).join('.')}.0.0/16`] : [])];
    case 'network':
      return [...LOOPBACK, '172.16.0.0/12'];
    case 'connected-networks':
      return [
        ...LOOPBACK,
        ...new Set(
          own.map(({ cidr }) => ipaddr.IPv4.networkAddressFromCIDR(cidr).toString() + cidr.slice(cidr.indexOf('/'))),
        ),
      ];
  }
}
