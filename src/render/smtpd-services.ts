import type { Settings } from '../config/settings.ts';
import { submissionRestrictions } from './submission-rate-limit.ts';

/** One smtpd listener of master.cf: its service name (a port or a name from /etc/services) and its -o options. */
export interface SmtpdService {
  name: string;
  options: string[];
}

/** Where a reverse proxy sends its PROXY-protocol connections: each mail port plus 10000. */
export const PROXIED_PORT_OFFSET = 10_000;

const SIGNED_IN_ONLY = [
  'smtpd_sasl_auth_enable=yes',
  'smtpd_client_restrictions=permit_sasl_authenticated,reject',
  'smtpd_relay_restrictions=permit_sasl_authenticated,reject',
  // Port 25's hygiene is for strangers; a signed-in client's own domain is exactly what it sends as.
  'smtpd_helo_restrictions=',
];

/**
 * Port 25 for inbound mail, 587 (STARTTLS) and 465 (implicit TLS) for submission; with
 * PROXY_PROTOCOL_NETWORKS, the same three again on 10025, 10587 and 10465 expecting the PROXY header.
 */
export function smtpdServices(settings: Settings): SmtpdService[] {
  const senderRestrictions = `smtpd_sender_restrictions=${settings.spoofProtection ? 'reject_authenticated_sender_login_mismatch' : ''}`;
  // The rate limit's policy checks, or the recipient restrictions left empty (no port 25 checks on submission).
  const rateLimited = submissionRestrictions(settings);
  const direct: (SmtpdService & { port: number })[] = [
    { name: 'smtp', port: 25, options: [] },
    {
      name: 'submission',
      port: 587,
      options: [
        'syslog_name=postfix/submission',
        'smtpd_tls_security_level=encrypt',
        'smtpd_tls_auth_only=yes',
        ...SIGNED_IN_ONLY,
        ...rateLimited,
        senderRestrictions,
        'milter_macro_daemon_name=ORIGINATING',
      ],
    },
    {
      name: 'submissions',
      port: 465,
      options: [
        'syslog_name=postfix/submissions',
        'smtpd_tls_wrappermode=yes',
        ...SIGNED_IN_ONLY,
        ...rateLimited,
        senderRestrictions,
        'milter_macro_daemon_name=ORIGINATING',
      ],
    },
  ];
  if (settings.proxyProtocolNetworks.length === 0) return direct;
  const proxied = direct.map(({ name, port, options }) => ({
    name: String(port + PROXIED_PORT_OFFSET),
    options: [
      `syslog_name=postfix/${name}-proxied`,
      ...options.filter((option) => !option.startsWith('syslog_name=')),
      'smtpd_upstream_proxy_protocol=haproxy',
    ],
  }));
  return [...direct, ...proxied];
}
