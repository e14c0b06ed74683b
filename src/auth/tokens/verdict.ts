import type { ReasonCode } from '../reason-codes.ts';

/** The IdP identity behind a token: its subject within its issuer. */
export interface TokenIdentity {
  issuer: string;
  subject: string;
}

/**
 * What checking one bearer token concluded: valid, refused (invalid), or not to be known now because
 * the IdP could not answer (unavailable). Reasons are for logs: never the token itself.
 */
export type TokenVerdict =
  | {
      outcome: 'valid';
      username: string;
      expiresAt: number;
      identity: TokenIdentity;
      /** The provisioning template the token names (OAUTH2_TEMPLATE_CLAIM). */
      template?: string | undefined;
    }
  | { outcome: 'invalid'; code: ReasonCode; reason: string }
  | { outcome: 'unavailable'; code: ReasonCode; reason: string };

export interface TokenVerifier {
  verify(token: string): Promise<TokenVerdict>;
}

/** A verdict other than valid: its code and its reason. */
type NotValid = (code: ReasonCode, reason: string) => TokenVerdict;
export const invalid: NotValid = (code, reason) => ({ outcome: 'invalid', code, reason });
export const unavailable: NotValid = (code, reason) => ({ outcome: 'unavailable', code, reason });
