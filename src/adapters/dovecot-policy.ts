import type { FastifyInstance } from 'fastify';
import type { BruteForceGuard, GuardVerdict } from '../auth/brute-force/brute-force-guard.ts';

/**
 * Dovecot's auth policy calls (auth_policy_server_url), translated to the brute-force guard:
 *  - POST /dovecot/policy?command=allow  before a sign-in: {"status": 0} go on, N>0 wait N seconds, -1 refuse
 *  - POST /dovecot/policy?command=report after it, with "success" and "policy_reject"
 * Body fields (Dovecot's default request attributes): login, remote, protocol, fail_type, session_id.
 */
interface PolicyRequest {
  login?: unknown;
  remote?: unknown;
  success?: unknown;
  policy_reject?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function answer(verdict: GuardVerdict) {
  if (verdict.action === 'refuse') return { status: -1, msg: 'Too many failed sign-ins; try again later' };
  return { status: verdict.action === 'delay' ? verdict.seconds : 0 };
}

const policySchema = {
  querystring: { type: 'object', properties: { command: { enum: ['allow', 'report'] } }, required: ['command'] },
  body: { type: 'object', properties: { login: { type: 'string', maxLength: 512 }, remote: { type: 'string', maxLength: 64 } } },
};

export function dovecotPolicyRoutes(app: FastifyInstance, guard: BruteForceGuard): void {
  app.post<{ Querystring: { command: 'allow' | 'report' }; Body: PolicyRequest }>('/dovecot/policy', { schema: policySchema }, async (request) => {
    const body = request.body ?? {};
    const attempt = { ip: text(body.remote), account: text(body.login) };
    if (request.query.command === 'allow') return answer(guard.check(attempt));
    // A refusal by this policy is not another guess: counting it would keep a ban alive forever.
    if (body.policy_reject !== true) guard.report(attempt, body.success === true);
    return { status: 0 };
  });
}
