import { readFileSync } from 'node:fs';
import { getCACertificates } from 'node:tls';
import type { Agent, RequestInit, Response, fetch as undiciFetch } from 'undici';

const TIMEOUT_MS = 5000;

export class IdpUnavailableError extends Error {}

export type { Response };

/** How the helper reaches the IdP: TLS verified against the system's CAs plus OAUTH2_TLS_CA_FILE, plain http only when allowed. */
export interface IdpConnection {
  allowHttp: boolean;
  caFile: string | undefined;
}

/**
 * Requests to the IdP: a timeout, no redirects, http:// refused unless OAUTH2_ALLOW_HTTP, and
 * network failures and 5xx as IdpUnavailableError (temporary). Every IdP URL (discovery, JWKS,
 * introspection, userinfo) goes through here, those the discovery document names included.
 */
export class IdpHttp {
  private readonly allowHttp: boolean;
  /** OAUTH2_TLS_CA_FILE, read at start: a file that cannot be read stops the helper then, not at a sign-in. */
  private readonly privateCa: string | undefined;
  private client: Promise<{ fetch: typeof undiciFetch; dispatcher: Agent | undefined }> | undefined;

  constructor(connection: IdpConnection) {
    this.allowHttp = connection.allowHttp;
    this.privateCa = connection.caFile === undefined ? undefined : readFileSync(connection.caFile, 'utf8');
  }

  /** undici, loaded at the first call to the IdP: an appliance no one has signed in to yet does without it. */
  private undici() {
    this.client ??= import('./undici.ts').then(({ Agent, fetch }) => ({
      fetch,
      // A private CA is trusted in addition to the default store (which holds NODE_EXTRA_CA_CERTS too).
      dispatcher:
        this.privateCa === undefined
          ? undefined
          : new Agent({ connect: { ca: [...getCACertificates('default'), this.privateCa] } }),
    }));
    return this.client;
  }

  async call(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && !(this.allowHttp && target.protocol === 'http:')) {
      throw new IdpUnavailableError(
        `refusing ${target.protocol}// to the IdP at ${target.origin}; allowed: https:// (or OAUTH2_ALLOW_HTTP=1)`,
      );
    }
    const { fetch, dispatcher } = await this.undici();
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
        ...(dispatcher && { dispatcher }),
      });
    } catch (error) {
      throw new IdpUnavailableError(`IdP unreachable at ${target.origin}: ${messageOf(error)}`);
    }
    if (response.status >= 500) throw new IdpUnavailableError(`IdP answered HTTP ${response.status} at ${url}`);
    return response;
  }
}

/** undici reports a TLS failure as "fetch failed" with the reason in `cause`. */
function messageOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message ?? (error as Error).message;
}

export async function jsonObject(response: Response, what: string): Promise<Record<string, unknown>> {
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IdpUnavailableError(`${what} is not a JSON object`);
  }
  return body as Record<string, unknown>;
}
