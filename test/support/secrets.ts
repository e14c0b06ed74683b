import assert from 'node:assert/strict';

/**
 * The forms a secret can reach a log in: as itself, URL-encoded, and inside any base64 or base64url
 * text (XOAUTH2 and OAUTHBEARER carry the token base64-encoded within a longer string, so each of the
 * three byte alignments gives another encoding; the middle of each is fixed whatever surrounds it).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(secret)]);
    for (const alphabet of ['base64', 'base64url'] as const) {
      const text = encoded.toString(alphabet);
      // Leading characters mix in the unknown bytes before; trailing ones those after.
      const stable = text.slice(Math.ceil((offset * 4) / 3) + 1, Math.floor((encoded.length * 4) / 3) - 2);
      if (stable.length >= 16) forms.add(stable);
    }
  }
  return [...forms];
}

/** Fails when any form of the secret is in the text. */
export function assertNoSecret(text: string, secret: string, what = 'a secret'): void {
  for (const form of secretForms(secret))
    assert.ok(!text.includes(form), `${what} reached the log (as ${JSON.stringify(form.slice(0, 12))}…)`);
}
