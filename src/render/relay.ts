import type { Settings } from '../config/settings.ts';
import type { RenderedFile } from './templates.ts';

/** What main.cf says of the relay: false for each part that is not configured. */
export interface RelayView {
  relayhost: string | false;
  /** sender_dependent_relayhost_maps: the helper's `relay` map (RELAY_HOST, RELAY_MAP). */
  senderDependent: boolean;
  credentials: { passwordMap: string; tlsPolicyMap: string; senderDependent: boolean } | false;
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
      relay.credentials.length === 0
        ? false
        : {
            passwordMap: passwordMapOf(settings),
            tlsPolicyMap: tlsPolicyMapOf(settings),
            senderDependent: relay.senderDependentCredentials,
          },
  };
}

/**
 * The password table (root's alone: Postfix opens its tables as root before it drops privileges) and the TLS
 * policy that sends mail to those relays encrypted or not at all. A key is a relay exactly as the next hop is
 * written, or a sender whose mail goes to a relay only (config checked that): no other server is ever given
 * a password.
 */
export function relayFiles(settings: Settings): RenderedFile[] {
  const relay = settings.relay;
  if (relay === undefined || relay.credentials.length === 0) return [];
  const table = relay.credentials.map(({ key, user, password }) => `${key} ${user}:${password}\n`).join('');
  return [
    { path: passwordMapOf(settings), content: table, mode: 0o600 },
    { path: tlsPolicyMapOf(settings), content: relay.encryptedRelays.map((to) => `${to} encrypt\n`).join('') },
  ];
}
