import { fileURLToPath } from 'node:url';
import { GenericContainer } from 'testcontainers';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIL_IMAGE = 'idmail:test';
export const IDP_IMAGE = 'idmail-demo-idp:test';

/** Builds the appliance and the test IdP once per run (layer cache makes repeats cheap). */
export async function buildImages(): Promise<void> {
  await GenericContainer.fromDockerfile(ROOT, 'image/Dockerfile').build(MAIL_IMAGE, { deleteOnExit: false });
  await GenericContainer.fromDockerfile(`${ROOT}image/idp`).build(IDP_IMAGE, { deleteOnExit: false });
}
