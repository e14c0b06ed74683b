import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { crypto as acmeCrypto, axios, Client } from 'acme-client';
import type { AcmeSettings } from '../config/acme-settings.ts';
import { loadOrCreateAccountKey } from './account-key.ts';
import type { CertificatePair } from './certificate-files.ts';

/** HTTP-01 challenges in flight: token → key authorization, served on port 80 while the CA validates. */
export type HttpChallenges = Map<string, string>;

/** Gets a certificate for these names (the renewal loop's view of the CA). */
export interface CertificateIssuer {
  issue(names: readonly string[]): Promise<CertificatePair>;
}

/** An ACME request that hangs (a CA behind a black hole) fails after this and is tried again later. */
const REQUEST_TIMEOUT_MS = 30_000;

/** acme-client's own retries of one request (5xx, 429, network): few and short, the renewal loop backs off. */
interface AcmeClientRetries {
  retryMaxAttempts: number;
  retryDefaultDelay: number;
}

/** The order through acme-client (RFC 8555): account by the kept key, a fresh P-256 key per certificate, HTTP-01. */
export class AcmeIssuer implements CertificateIssuer {
  private readonly settings: AcmeSettings;
  private readonly challenges: HttpChallenges;
  private readonly agent: WatchedAgent;

  constructor(settings: AcmeSettings, challenges: HttpChallenges) {
    this.settings = settings;
    this.challenges = challenges;
    this.agent = configureHttp(settings.caFile);
  }

  async issue(names: readonly string[]): Promise<CertificatePair> {
    this.agent.lastError = undefined;
    try {
      return await this.order(names);
    } catch (error) {
      throw explained(error, this.agent.lastError);
    }
  }

  private async order(names: readonly string[]): Promise<CertificatePair> {
    const { directoryUrl, email, files } = this.settings;
    const accountKey = await loadOrCreateAccountKey(files.accountKey);
    // Polling for a validated challenge or a finished order: 1 s, doubling, at most 10 s between looks.
    const client = new Client({ directoryUrl, accountKey, backoffMin: 1000, backoffMax: 10_000 });
    const [key, csr] = await acmeCrypto.createCsr(
      { commonName: names[0], altNames: [...names] },
      await acmeCrypto.createPrivateEcdsaKey('P-256'),
    );
    const chain = await client.auto({
      csr,
      ...(email === undefined ? {} : { email }),
      // Choosing SSL_TYPE=acme is agreeing to the CA's terms (docs/mail-flow.md says so).
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The CA validates anyway; asking ourselves first fails behind NAT without hairpinning.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authorization, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01')
          throw new Error(`the CA offers no http-01 challenge (only ${challenge.type})`);
        this.challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authorization, challenge) => {
        this.challenges.delete(challenge.token);
      },
    });
    return { chain, key: key.toString() };
  }
}

/** Remembers the last connection error (refused, no such name, a certificate not trusted) for the log line. */
class WatchedAgent extends Agent {
  lastError: Error | undefined;

  override createConnection(...args: Parameters<Agent['createConnection']>): ReturnType<Agent['createConnection']> {
    const socket = super.createConnection(...args);
    socket?.on('error', (error: Error) => {
      this.lastError = error;
    });
    return socket;
  }
}

/**
 * acme-client's retry wrapper answers a request that got no answer at all (refused, no such name, TLS
 * refused, timed out) with a TypeError about the missing response: say what happened instead.
 */
function explained(error: unknown, connectionError: Error | undefined): unknown {
  if (!(error instanceof TypeError) || !error.message.includes("reading 'config'")) return error;
  const why = connectionError?.message ?? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return new Error(`cannot reach the ACME server: ${why}`);
}

/** acme-client's HTTP client (one axios instance): a timeout, short retries, and ACME_CA_FILE trusted. */
function configureHttp(caFile: string | undefined): WatchedAgent {
  axios.defaults.timeout = REQUEST_TIMEOUT_MS;
  const defaults = axios.defaults as typeof axios.defaults & { acmeSettings: AcmeClientRetries };
  Object.assign(defaults.acmeSettings, { retryMaxAttempts: 2, retryDefaultDelay: 2 });
  const extraCa = caFile === undefined ? [] : [readFileSync(caFile, 'utf8')];
  const agent = new WatchedAgent({ ca: [...rootCertificates, ...extraCa] });
  axios.defaults.httpsAgent = agent;
  return agent;
}
