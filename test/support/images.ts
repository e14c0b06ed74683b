import { fileURLToPath } from 'node:url';
import { GenericContainer } from 'testcontainers';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIL_IMAGE = 'idmail:test';
export const IDP_IMAGE = 'idmail-demo-idp:test';
export const LDAP_IMAGE = 'idmail-demo-ldap:test';
export const BROWSER_IMAGE = 'idmail-test-browser:test';

/** Builds the appliance, the test IdP, the test directory and the test browser once per run (layer cache makes repeats cheap). */
export async function buildImages(): Promise<void> {
  await GenericContainer.fromDockerfile(ROOT, 'image/Dockerfile').build(MAIL_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}image/idp`).build(IDP_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}image/ldap`).build(LDAP_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}test/support/browser`).build(BROWSER_IMAGE, { deleteOnExit: false });
}
