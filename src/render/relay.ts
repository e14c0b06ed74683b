import type { Settings } from '../config/settings.ts';
import type { RenderedFile } from './templates.ts';

/** What main.cf says of the relay: false for each part that is not configured. */
export interface RelayView {
  relayhost: string | false;
  /** sender_dependent_relayhost_maps: the helper's `relay` map (RELAY_HOST, RELAY_MAP). */
  senderDependent: boolean;
  credentials: { passwordMap: string; tlsPolicyMap: string } | false;
}

// texthash: read when a Postfix process starts, no postmap and no .db beside it (as docker-mailserver does).
const passwordMapOf = (settings: Settings) => `${settings.paths.postfixConfigDir}/sasl_passwd`;
const tlsPolicyMapOf = (settings: Settings) => `${settings.paths.postfixConfigDir}/relay_tls_policy`;

export function relayView(settings: Settings): RelayView | false {
  const { relay } = settings;
  if (relay === undefined) return false;
  return {
    relayhost: relay.relayhost ?? false,
    senderDependent: relay.senders !== undefined,
    credentials:
      relay.credentials === undefined
        ? false
        : { passwordMap: passwordMapOf(settings), tlsPolicyMap: tlsPolicyMapOf(settings) },
  };
}

/**
 * The password table (root's alone: Postfix opens its tables as root before it drops privileges) and the TLS
 * policy that sends mail to that relay encrypted or not at all. Both are keyed by the relay exactly as the
 * next hop is written, so no other server is ever given the password.
 */
export function relayFiles(settings: Settings): RenderedFile[] {
  const credentials = settings.relay?.credentials;
  if (credentials === undefined) return [];
  const { relay, user, password } = credentials;
  return [
    { path: passwordMapOf(settings), content: `${relay} ${user}:${password}\n`, mode: 0o600 },
    { path: tlsPolicyMapOf(settings), content: `${relay} encrypt\n` },
  ];
}
