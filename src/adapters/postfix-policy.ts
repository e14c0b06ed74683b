import type { Server, Socket } from 'node:net';
import type { RateLimitKind, RateVerdict, SubmissionRateLimit } from '../auth/rate-limit/submission-rate-limit.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Logger } from '../vocabulary/logger.ts';
import {
  POLICY_ACTIONS,
  POLICY_ATTRIBUTES,
  POLICY_REPLY_ATTRIBUTE,
  POLICY_REQUEST,
  POLICY_STATES,
} from '../vocabulary/wire-contract.ts';
import { listenOnUnixSocket } from './unix-socket-server.ts';

/**
 * Postfix's SMTPD access policy delegation (SMTPD_POLICY_README) on a unix socket, answering the
 * per-account submission rate limit. A request is `name=value` lines ended by an empty line; the
 * answer `action=…` and an empty line. Postfix keeps the connection for many requests. A garbled
 * request closes its connection: Postfix tries again, then applies smtpd_policy_service_default_action
 * (a temporary 451), so nothing gets through unchecked.
 */
export type PolicyRequest = ReadonlyMap<string, string>;
export type PolicyAnswer = (request: PolicyRequest) => string;

/** Far above a real request (a few hundred bytes, a few KiB with client certificate fields). */
const MAX_REQUEST_BYTES = 32 * 1024;
const END_OF_REQUEST = '\n\n';
const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]*$/;

/** Splits the complete requests off the front of a buffer; returns them and the unconsumed rest. */
export function takePolicyRequests(buffer: Buffer): { requests: string[]; rest: Buffer } {
  const requests: string[] = [];
  let rest = buffer;
  for (let end = rest.indexOf(END_OF_REQUEST); end >= 0; end = rest.indexOf(END_OF_REQUEST)) {
    if (end > MAX_REQUEST_BYTES) throw new Error('policy request too long');
    requests.push(rest.subarray(0, end).toString('utf8'));
    rest = rest.subarray(end + END_OF_REQUEST.length);
  }
  if (rest.length > MAX_REQUEST_BYTES) throw new Error('policy request too long');
  return { requests, rest };
}

/** A request's attributes; refused unless every line is one attribute, each named once, of an SMTPD access policy request. */
export function parsePolicyRequest(text: string): PolicyRequest {
  const attributes = new Map<string, string>();
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    const name = line.slice(0, equals);
    if (equals < 1 || !ATTRIBUTE_NAME.test(name)) throw new Error('policy request line is no name=value');
    if (attributes.has(name)) throw new Error(`policy request names ${name} twice`);
    attributes.set(name, line.slice(equals + 1));
  }
  if (attributes.get(POLICY_ATTRIBUTES.request) !== POLICY_REQUEST)
    throw new Error('not an smtpd access policy request');
  return attributes;
}

export const policyReply = (action: string): string => `${POLICY_REPLY_ATTRIBUTE}=${action}${END_OF_REQUEST}`;

/**
 * The rate limit's answers: a recipient (RCPT) and a complete message (END-OF-MESSAGE) are counted
 * for the signed-in account (sasl_username). Fails closed: a request of no signed-in account is
 * refused, one at another stage is a configuration problem (a temporary refusal).
 */
export function rateLimitPolicy(
  limiter: SubmissionRateLimit,
  log: Logger,
  onRefused: (limit: RateLimitKind) => void = () => undefined,
): PolicyAnswer {
  return (request) => {
    const account = request.get(POLICY_ATTRIBUTES.account) ?? '';
    const state = request.get(POLICY_ATTRIBUTES.state);
    if (account === '') {
      log.warn({ state }, 'rate limit: asked about a session nobody signed in to; refused');
      return `${POLICY_ACTIONS.signInRequired} Authentication required`;
    }
    const verdict = verdictAt(state, limiter, account);
    if (verdict === undefined) {
      log.error({ state }, 'rate limit: asked at a stage it does not decide at; refused for now');
      return `${POLICY_ACTIONS.misconfigured} Server configuration problem`;
    }
    if (verdict.outcome === 'allow') return POLICY_ACTIONS.pass;
    const { limit, max, retryAfterSeconds } = verdict;
    log.warn(
      { event: 'rate-limited', account, limit, max, retryAfterSeconds },
      `rate limit: ${limit} per hour reached`,
    );
    onRefused(limit);
    return `${POLICY_ACTIONS.overLimit} ${refusalText(verdict)}`;
  };
}

function verdictAt(state: string | undefined, limiter: SubmissionRateLimit, account: string): RateVerdict | undefined {
  if (state === POLICY_STATES.recipient) return limiter.recipient(account);
  if (state === POLICY_STATES.endOfMessage) return limiter.message(account);
  return undefined;
}

/** What the sender's client shows: the limit and when to try again (it retries on its own: the refusal is temporary). */
function refusalText({ limit, max, retryAfterSeconds }: Extract<RateVerdict, { outcome: 'refuse' }>): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Rate limit: at most ${max} ${limit} per hour from this account; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The same answers, each timed in the metrics (call postfix-policy). */
export function timedPolicy(answer: PolicyAnswer, metrics: Metrics): PolicyAnswer {
  return (request) => {
    const end = metrics.timer('postfix-policy');
    try {
      return answer(request);
    } finally {
      end();
    }
  };
}

/** Only the helper and Postfix may ask: an answer spends an account's allowance. */
export function servePostfixPolicy(path: string, answer: PolicyAnswer, log: Logger): Promise<Server> {
  return listenOnUnixSocket(path, (socket) => handlePolicyConnection(socket, answer, log), log);
}

/** One Postfix connection: requests answered in order; a garbled one ends the connection, the helper serves on. */
function handlePolicyConnection(socket: Socket, answer: PolicyAnswer, log: Logger): void {
  let buffered: Buffer = Buffer.alloc(0);
  let closing = false;
  socket.on('data', (chunk) => {
    if (closing) return;
    try {
      const { requests, rest } = takePolicyRequests(Buffer.concat([buffered, chunk]));
      buffered = rest;
      for (const text of requests) socket.write(policyReply(answer(parsePolicyRequest(text))));
    } catch (error) {
      closing = true;
      log.warn({ err: (error as Error).message }, 'postfix policy: bad request, closing the connection');
      socket.end(() => socket.destroy());
    }
  });
  socket.on('error', () => socket.destroy());
}
