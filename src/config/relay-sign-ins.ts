/** A sign-in at a relay: keyed by the relay as Postfix names the next hop, or by a sender (`@domain`, an address). */
export interface RelayCredentials {
  key: string;
  user: string;
  password: string;
}

/** How outbound mail is routed, as far as the settings alone tell. */
export interface RelayRouting {
  /** DEFAULT_RELAY_HOST: every message a RELAY_MAP entry does not route goes there. */
  relayhost: string | undefined;
  /** `[RELAY_HOST]:RELAY_PORT`: mail of senders in served domains only, which the settings cannot all name. */
  servedDomainsRelay: string | undefined;
  /** RELAY_MAP: a sender or `@domain` → its relay, or null: sent directly. */
  map: ReadonlyMap<string, string | null>;
}

/** Postfix's password table and what it takes: TLS to every relay that gets a password. */
export interface RelaySignIns {
  table: RelayCredentials[];
  encryptedRelays: string[];
  /** Some keys are senders: Postfix's smtp_sender_dependent_authentication. */
  senderDependent: boolean;
  problems: string[];
}

const relaysOf = (routing: RelayRouting): string[] => [
  ...new Set(
    [routing.relayhost ?? routing.servedDomainsRelay, ...routing.map.values()].filter(
      (relay): relay is string => typeof relay === 'string',
    ),
  ),
];

const domainKeyOf = (sender: string) => `@${sender.split('@')[1]}`;

/**
 * Where a sender's mail goes, as Postfix looks it up (the address, then its domain); `certain` is false for
 * RELAY_HOST's relay, which takes a sender's mail only while its domain is served.
 */
function routeOf(routing: RelayRouting, sender: string): { relay: string | undefined; certain: boolean } {
  const entry = [sender, domainKeyOf(sender)].find((key) => routing.map.has(key));
  if (entry !== undefined) return { relay: routing.map.get(entry) ?? undefined, certain: true };
  if (routing.relayhost !== undefined) return { relay: routing.relayhost, certain: true };
  return { relay: routing.servedDomainsRelay, certain: false };
}

/** RELAY_MAP senders a sender key's password would also go with (Postfix falls back to it for them). */
function sendersUnder(routing: RelayRouting, key: string): string[] {
  return [...routing.map.keys()].filter((sender) =>
    key.startsWith('@')
      ? sender !== key && sender.endsWith(key)
      : sender.startsWith(`${key.split('@')[0]}+`) && sender.endsWith(domainKeyOf(key)),
  );
}

/**
 * The password table, so that no password reaches a server that is not its relay. Where every sender key
 * of a relay signs in alike, the table is keyed by that relay alone: then it matters not whether a sender's
 * mail goes there. Only a relay with several sign-ins by sender needs sender keys, and each of those only
 * where the settings say for certain that every such sender's mail goes to that relay.
 */
export function relaySignIns(routing: RelayRouting, credentials: readonly RelayCredentials[]): RelaySignIns {
  const problems: string[] = [];
  const grouped = groupByRelay(routing, credentials, problems);
  const keyed = new Set(credentials.map(({ key }) => key));
  const table: RelayCredentials[] = [];
  for (const [relay, { own, bySender }] of grouped) {
    const all = own === undefined ? bySender : [own, ...bySender];
    const [first] = all;
    if (first !== undefined && new Set(all.map(({ user, password }) => `${user}:${password}`)).size === 1) {
      table.push({ ...first, key: relay });
      continue;
    }
    for (const { key } of bySender) problems.push(...senderKeyProblems(routing, key, relay, keyed));
    // The senders' own first; the relay's sign-in, if any, for every other sender.
    table.push(...bySender, ...(own === undefined ? [] : [own]));
  }
  return {
    table,
    encryptedRelays: [...grouped.keys()],
    senderDependent: table.some(({ key }) => key.includes('@')),
    problems,
  };
}

type ByRelay = Map<string, { own?: RelayCredentials; bySender: RelayCredentials[] }>;

/** Each sign-in under the relay its password goes to; one that would go to no relay is a problem. */
function groupByRelay(routing: RelayRouting, credentials: readonly RelayCredentials[], problems: string[]): ByRelay {
  const relays = relaysOf(routing);
  const grouped: ByRelay = new Map();
  const groupOf = (relay: string) => {
    const group = grouped.get(relay) ?? { bySender: [] };
    grouped.set(relay, group);
    return group;
  };
  for (const credential of credentials) {
    if (!credential.key.includes('@')) {
      if (relays.includes(credential.key)) groupOf(credential.key).own = credential;
      else
        problems.push(
          `RELAY_CREDENTIALS: ${credential.key} is no relay of DEFAULT_RELAY_HOST, RELAY_HOST or RELAY_MAP; allowed: one of ${relays.join(', ') || 'them (none is set)'}`,
        );
      continue;
    }
    const { relay } = routeOf(routing, credential.key);
    if (relay !== undefined) groupOf(relay).bySender.push(credential);
    else
      problems.push(
        `RELAY_CREDENTIALS: ${credential.key}'s mail is sent directly, and its password would be offered to other mail servers; allowed: a sender with a relay (RELAY_MAP, RELAY_HOST, DEFAULT_RELAY_HOST)`,
      );
  }
  return grouped;
}

/** A sender key is safe where its senders' mail goes to its relay, each sender that goes elsewhere signing in on its own. */
function senderKeyProblems(routing: RelayRouting, key: string, relay: string, keyed: ReadonlySet<string>): string[] {
  const elsewhere = sendersUnder(routing, key).filter(
    (sender) => routing.map.get(sender) !== relay && !keyed.has(sender),
  );
  if (!routeOf(routing, key).certain)
    return [
      `RELAY_CREDENTIALS: ${key} signs in at ${relay} unlike its other senders, but goes there through RELAY_HOST only while its domain is served; allowed: a RELAY_MAP entry for it (setup relay add-domain), or one sign-in per relay`,
    ];
  if (elsewhere.length > 0)
    return [
      `RELAY_CREDENTIALS: ${key}'s password would go with ${elsewhere.join(', ')}, which RELAY_MAP sends elsewhere; allowed: a sign-in of their own for them, or one sign-in per relay`,
    ];
  return [];
}
