import type { DatabaseSync } from 'node:sqlite';
import { AppPasswordStore } from '../auth/app-passwords/app-password-store.ts';
import { IdentityBindings } from '../auth/identity/identity-bindings.ts';
import { SignInPolicies } from '../auth/policy/sign-in-policy.ts';
import { ProvisionedAccounts } from '../auth/provisioning/provisioned-accounts.ts';
import { ScimStore } from '../auth/provisioning/scim/scim-store.ts';
import type { Settings } from '../config/settings.ts';

/** What the state database holds, one store each. */
export interface StateStores {
  appPasswords: AppPasswordStore;
  policies: SignInPolicies;
  bindings: IdentityBindings;
  provisioned: ProvisionedAccounts;
  /** SCIM's Users and Groups; undefined when SCIM is off. */
  scim: ScimStore | undefined;
}

/** The stores over an open state database; made once per process, so every part shares the same ones. */
export function openStores(state: DatabaseSync, settings: Pick<Settings, 'signInDefaults' | 'scim'>): StateStores {
  return {
    appPasswords: new AppPasswordStore(state),
    policies: new SignInPolicies(state, settings.signInDefaults),
    bindings: new IdentityBindings(state),
    provisioned: new ProvisionedAccounts(state),
    scim: settings.scim === undefined ? undefined : new ScimStore(state),
  };
}
