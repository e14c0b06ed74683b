/**
 * Traefik's certificate store (v2 and later), as docker-mailserver reads it at /etc/letsencrypt/acme.json:
 * `{ "<resolver>": { "Account": …, "Certificates": [{ "domain": { "main", "sans" }, "certificate", "key" }] } }`,
 * certificate (the chain) and key base64-encoded PEM. Traefik keeps the certificates of every router in it;
 * the one wanted is the first whose `main` or `sans` is one of the names, in the names' order.
 */

export interface AcmeJsonCertificate {
  /** The name it was found by, and the resolver (Traefik's certificatesResolvers entry) it is under. */
  name: string;
  resolver: string;
  cert: Buffer;
  key: Buffer;
}

interface StoredCertificate {
  domain?: { main?: unknown; sans?: unknown };
  certificate?: unknown;
  key?: unknown;
}

/** The certificate for the first of the names that has one; a string saying why there is none otherwise. */
export function certificateFromAcmeJson(text: string, names: readonly string[]): AcmeJsonCertificate | string {
  let store: unknown;
  try {
    store = JSON.parse(text);
  } catch (error) {
    return `is not JSON (${(error as Error).message})`;
  }
  if (store === null || typeof store !== 'object' || Array.isArray(store))
    return "is not Traefik's acme.json (no resolvers)";
  const stored = Object.entries(store).flatMap(([resolver, value]) =>
    certificatesOf(value).map((entry) => ({ resolver, entry })),
  );
  for (const name of names) {
    const found = stored.find(({ entry }) => namesOf(entry).includes(name.toLowerCase()));
    if (found === undefined) continue;
    const { certificate, key } = found.entry;
    if (typeof certificate !== 'string' || typeof key !== 'string')
      return `has an entry for ${name} without its certificate or key`;
    return {
      name,
      resolver: found.resolver,
      cert: Buffer.from(certificate, 'base64'),
      key: Buffer.from(key, 'base64'),
    };
  }
  return `has no certificate for ${names.join(', ')}`;
}

function certificatesOf(resolver: unknown): StoredCertificate[] {
  if (resolver === null || typeof resolver !== 'object') return [];
  const list = (resolver as { Certificates?: unknown }).Certificates;
  if (!Array.isArray(list)) return [];
  return list.filter((entry): entry is StoredCertificate => entry !== null && typeof entry === 'object');
}

function namesOf(entry: StoredCertificate): string[] {
  const { main, sans } = entry.domain ?? {};
  const all = [main, ...(Array.isArray(sans) ? sans : [])];
  return all.filter((name): name is string => typeof name === 'string').map((name) => name.toLowerCase());
}
