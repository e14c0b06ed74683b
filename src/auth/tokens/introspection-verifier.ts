import type { OAuth2Settings } from '../../config/oauth2-settings.ts';
import { verdictFromClaims } from './claims.ts';
import { type IdpHttp, IdpUnavailableError, jsonObject } from './http.ts';
import { invalid, type TokenVerdict, type TokenVerifier, unavailable } from './verdict.ts';

/** RFC 7662: the IdP says whether an (opaque) token is active, asked with our client credentials. */
export class IntrospectionVerifier implements TokenVerifier {
  private readonly settings: OAuth2Settings;
  private readonly client: { id: string; secret: string };
  private readonly endpoint: () => Promise<string>;
  private readonly http: IdpHttp;

  constructor(
    settings: OAuth2Settings,
    client: { id: string; secret: string },
    endpoint: () => Promise<string>,
    http: IdpHttp,
  ) {
    this.settings = settings;
    this.client = client;
    this.endpoint = endpoint;
    this.http = http;
  }

  async verify(token: string): Promise<TokenVerdict> {
    try {
      const credentials = `${encodeURIComponent(this.client.id)}:${encodeURIComponent(this.client.secret)}`;
      const endpoint = await this.endpoint();
      const response = await this.http.call(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      });
      if (!response.ok) {
        const reason = `introspection answered HTTP ${response.status} (check OAUTH2_CLIENT_ID/SECRET)`;
        return unavailable('idp_unexpected_answer', reason);
      }
      return this.judge(await jsonObject(response, 'introspection answer'), endpoint);
    } catch (error) {
      if (error instanceof IdpUnavailableError) return unavailable('idp_unavailable', error.message);
      throw error;
    }
  }

  private judge(claims: Record<string, unknown>, endpoint: string): TokenVerdict {
    if (claims.active !== true) return invalid('token_inactive', 'IdP says the token is not active');
    const exp =
      typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + this.settings.revalidateAfterSeconds * 1000;
    if (exp + this.settings.clockSkewSeconds * 1000 < Date.now()) return invalid('token_expired', 'token expired');
    if (this.settings.issuer !== undefined && claims.iss !== undefined && claims.iss !== this.settings.issuer) {
      return invalid('token_issuer', `claim iss rejected: unexpected "iss" claim value`);
    }
    // An introspection answer carries the token's claims: every check of a token applies (no header: no typ).
    return verdictFromClaims(claims, this.settings, exp, {
      issuer: this.settings.issuer ?? new URL(endpoint).origin,
      token: { headerType: undefined },
    });
  }
}
