import type { OAuth2Settings } from '../../config/oauth2-settings.ts';
import { verdictFromClaims } from './claims.ts';
import { type IdpHttp, IdpUnavailableError, jsonObject } from './http.ts';
import { invalid, type TokenVerdict, type TokenVerifier, unavailable } from './verdict.ts';

/**
 * docker-mailserver's behaviour (OAUTH2_INTROSPECTION_URL without client credentials):
 * the token is sent as a Bearer to a userinfo-style endpoint; a 200 with the username claim
 * means valid. The answer carries no expiry, so it is trusted for the revalidation period.
 */
export class UserinfoVerifier implements TokenVerifier {
  private readonly settings: OAuth2Settings;
  private readonly url: string;
  private readonly http: IdpHttp;

  constructor(settings: OAuth2Settings, url: string, http: IdpHttp) {
    this.settings = settings;
    this.url = url;
    this.http = http;
  }

  async verify(token: string): Promise<TokenVerdict> {
    try {
      const response = await this.http.call(this.url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      if (response.status === 401 || response.status === 403) {
        return invalid('token_inactive', `IdP refused the token (HTTP ${response.status})`);
      }
      if (!response.ok) return unavailable('idp_unexpected_answer', `userinfo answered HTTP ${response.status}`);
      const claims = await jsonObject(response, 'userinfo answer');
      const expiresAt = Date.now() + this.settings.revalidateAfterSeconds * 1000;
      // Userinfo answers describe the user, not the token: its kind, audience, client and scope cannot be checked here.
      return verdictFromClaims(claims, this.settings, expiresAt, {
        issuer: this.settings.issuer ?? new URL(this.url).origin,
        token: undefined,
      });
    } catch (error) {
      if (error instanceof IdpUnavailableError) return unavailable('idp_unavailable', error.message);
      throw error;
    }
  }
}
