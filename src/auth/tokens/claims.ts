import type { OAuth2Settings } from '../../config/settings.ts';
import { invalid, type TokenVerdict } from './verdict.ts';

type Claims = Record<string, unknown>;

/** Scopes as a set, from RFC 7662/9068 `scope` (space-separated) or Entra/Okta style `scp`. */
function scopesOf(claims: Claims): Set<string> {
  const raw = claims.scope ?? claims.scp;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return new Set(list.filter((item): item is string => typeof item === 'string'));
}

function audiencesOf(claims: Claims): string[] {
  const raw = claims.aud;
  return (Array.isArray(raw) ? raw : [raw]).filter((item): item is string => typeof item === 'string');
}

/**
 * The checks every token path shares once its origin is trusted:
 * audience, required scope, and the username claim that names the mailbox.
 * `expiresAt` is in milliseconds.
 */
export function verdictFromClaims(claims: Claims, settings: OAuth2Settings, expiresAt: number): TokenVerdict {
  if (settings.audience !== undefined && !audiencesOf(claims).includes(settings.audience)) {
    return invalid(`wrong audience (expected ${settings.audience})`);
  }
  if (settings.requiredScope !== undefined && !scopesOf(claims).has(settings.requiredScope)) {
    return invalid(`missing scope ${settings.requiredScope}`);
  }
  const username = claims[settings.usernameClaim];
  if (typeof username !== 'string' || username === '') {
    return invalid(`no ${settings.usernameClaim} claim in token`);
  }
  const template = claims[settings.templateClaim];
  return { valid: true, username: username.toLowerCase(), expiresAt, ...(typeof template === 'string' && template !== '' ? { template } : {}) };
}
