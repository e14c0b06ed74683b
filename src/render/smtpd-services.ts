import type { Settings } from '../config/settings.ts';
import { submissionRestrictions } from './submission-rate-limit.ts';

/**
 * One SMTP service of master.cf: its name (a port or a name from /etc/services), and what runs there:
 * smtpd, or on port 25 postscreen (one process for all connections), which passes the clients it lets
 * through to the `pass` service named by its smtpd_service_name. Its -o options.
 */
export interface SmtpdService {
  name: string;
  type: 'inet' | 'pass';
  /** master.cf's private column: a pass service is reached through private/ (postscreen looks there). */
  private: 'n' | '-';
  command: 'smtpd' | 'postscreen';
  maxproc: '-' | '1';
  options: string[];
}

const smtpd = (name: string, options: string[], type: SmtpdService['type'] = 'inet'): SmtpdService => ({
  name,
  type,
  private: type === 'pass' ? '-' : 'n',
  command: 'smtpd',
  maxproc: '-',
  options,
});

/** Port 25 (or its proxied twin): postscreen in front, then the smtpd it passes the good clients to. */
function screened(name: string, smtpdName: string, options: string[]): SmtpdService[] {
  return [
    {
      name,
      type: 'inet',
      private: 'n',
      command: 'postscreen',
      maxproc: '1',
      options: [...options, ...(smtpdName === 'smtpd' ? [] : [`smtpd_service_name=${smtpdName}`])],
    },
    smtpd(
      smtpdName,
      options.filter((option) => option.startsWith('syslog_name=')),
      'pass',
    ),
  ];
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
 * Port 25 for inbound mail (behind postscreen), 587 (STARTTLS) and 465 (implicit TLS) for submission; with
 * PROXY_PROTOCOL_NETWORKS, the same three again on 10025, 10587 and 10465 expecting the PROXY header.
 */
export function smtpdServices(settings: Settings): SmtpdService[] {
  const senderRestrictions = `smtpd_sender_restrictions=${settings.spoofProtection ? 'reject_authenticated_sender_login_mismatch' : ''}`;
  // The rate limit's policy checks, or the recipient restrictions left empty (no port 25 checks on submission).
  const rateLimited = submissionRestrictions(settings);
  const submission: Array<{ name: string; port: number; options: string[] }> = [
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
  const direct = [...screened('smtp', 'smtpd', []), ...submission.map(({ name, options }) => smtpd(name, options))];
  if (settings.proxyProtocolNetworks.length === 0) return direct;
  const proxiedPort = (port: number) => String(port + PROXIED_PORT_OFFSET);
  const proxied = [
    ...screened(proxiedPort(25), 'smtpd-proxied', [
      'syslog_name=postfix/smtp-proxied',
      'postscreen_upstream_proxy_protocol=haproxy',
    ]),
    ...submission.map(({ name, port, options }) =>
      smtpd(proxiedPort(port), [
        `syslog_name=postfix/${name}-proxied`,
        ...options.filter((option) => !option.startsWith('syslog_name=')),
        'smtpd_upstream_proxy_protocol=haproxy',
      ]),
    ),
  ];
  return [...direct, ...proxied];
}
