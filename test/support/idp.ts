/** Talks to the test IdP (image/idp) from the test host, as a user with curl would. */
export const CLIENT = { id: 'mail-client', secret: 'mail-client-secret' };
export const USERS = {
  alice: { address: 'alice@example.test', password: 'alice-password' },
  bob: { address: 'bob@example.test', password: 'bob-password' },
};
export const ISSUER = 'http://idp:8080';

export class TestIdp {
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  /**
   * A real access token from the IdP's token endpoint (password grant): meant for `resource` when one
   * is named (a JWT, or opaque with `opaque`), else an opaque token for the IdP's own userinfo.
   */
  async token(
    user: { address: string; password: string },
    resource?: string,
    format: 'jwt' | 'opaque' = 'jwt',
  ): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'password',
      username: user.address,
      password: user.password,
      scope: 'openid email mail',
    });
    if (resource !== undefined) body.set('resource', resource);
    if (format === 'opaque') body.set('token_format', 'opaque');
    const response = await fetch(`${this.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
      body,
    });
    const answer = (await response.json()) as { access_token?: string };
    if (!response.ok || answer.access_token === undefined)
      throw new Error(`token request failed: ${JSON.stringify(answer)}`);
    return answer.access_token;
  }

  /** A JWT with chosen claims, signed with the IdP's real current key (test endpoint). */
  async mint(claims: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${this.url}/test/mint`, { method: 'POST', body: JSON.stringify(claims) });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /** The JWKS endpoint answers garbage while on. */
  async garbageJwks(on: boolean): Promise<void> {
    const response = await fetch(`${this.url}/test/jwks-garbage`, { method: 'POST', body: JSON.stringify({ on }) });
    if (!response.ok) throw new Error('switching the JWKS failed');
  }

  async rotateKeys(): Promise<void> {
    const response = await fetch(`${this.url}/test/rotate-keys`, { method: 'POST' });
    if (!response.ok) throw new Error('key rotation failed');
  }

  /** Requests the IdP has served, per path, since it started (test endpoint). */
  async requests(): Promise<Record<string, number>> {
    const response = await fetch(`${this.url}/test/requests`);
    if (!response.ok) throw new Error('reading the request counts failed');
    return (await response.json()) as Record<string, number>;
  }
}
