import { type IdpHttp, IdpUnavailableError, jsonObject } from './http.ts';

export interface ProviderMetadata {
  issuer: string;
  jwksUri: string;
  introspectionEndpoint: string | undefined;
}

/** The issuer's OIDC discovery document, fetched on first need and kept once it was read. */
export class Discovery {
  private readonly issuer: string;
  private readonly configurationUrl: string;
  private readonly http: IdpHttp;
  private metadata: Promise<ProviderMetadata> | undefined;

  constructor(issuer: string, configurationUrl: string, http: IdpHttp) {
    this.issuer = issuer;
    this.configurationUrl = configurationUrl;
    this.http = http;
  }

  load(): Promise<ProviderMetadata> {
    this.metadata ??= this.fetch().catch((error: unknown) => {
      this.metadata = undefined; // try again on the next sign-in
      throw error;
    });
    return this.metadata;
  }

  private async fetch(): Promise<ProviderMetadata> {
    const response = await this.http.call(this.configurationUrl);
    if (!response.ok) throw new IdpUnavailableError(`discovery answered HTTP ${response.status}`);
    const document = await jsonObject(response, 'discovery document');
    if (document.issuer !== this.issuer) {
      throw new IdpUnavailableError(`discovery names issuer ${String(document.issuer)}, not ${this.issuer}`);
    }
    if (typeof document.jwks_uri !== 'string') throw new IdpUnavailableError('discovery document has no jwks_uri');
    const introspection = document.introspection_endpoint;
    return {
      issuer: document.issuer,
      jwksUri: document.jwks_uri,
      introspectionEndpoint: typeof introspection === 'string' ? introspection : undefined,
    };
  }
}
