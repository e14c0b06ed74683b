import { fileURLToPath } from 'node:url';
import { GenericContainer } from 'testcontainers';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIL_IMAGE = 'idmail:test';
export const IDP_IMAGE = 'idmail-demo-idp:test';
export const LDAP_IMAGE = 'idmail-demo-ldap:test';
export const BROWSER_IMAGE = 'idmail-test-browser:test';
export const DNS_IMAGE = 'idmail-test-dns:test';
/** Let's Encrypt's ACME test server (Debian's pebble), for SSL_TYPE=acme. */
export const PEBBLE_IMAGE = 'idmail-test-pebble:test';

/** Builds the appliance, the test IdP, the test directory and the test DNS (layer cache makes repeats cheap). */
export async function buildServiceImages(): Promise<void> {
  await GenericContainer.fromDockerfile(ROOT, 'image/Dockerfile').build(MAIL_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}image/idp`).build(IDP_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}image/ldap`).build(LDAP_IMAGE, { deleteOnExit: false });
  // Every test network's DNS (startNetwork).
  await GenericContainer.fromDockerfile(`${ROOT}test/support/dns`).build(DNS_IMAGE, { deleteOnExit: false });
}

/** The service images, the test browser and the ACME test server, once per test run. */
export async function buildImages(): Promise<void> {
  await buildServiceImages();
  await GenericContainer.fromDockerfile(`${ROOT}test/support/browser`).build(BROWSER_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}test/support/pebble`).build(PEBBLE_IMAGE, { deleteOnExit: false });
}
