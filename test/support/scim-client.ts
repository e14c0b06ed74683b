import { request } from 'node:https';
import type { StartedTestContainer } from 'testcontainers';

export interface ScimAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a SCIM answer's JSON, read field by field by the assertions
  body: Record<string, any>;
}

/** A SCIM client as an IdP is one: real HTTPS to the appliance's published port (its certificate is self-signed). */
export function scimClient(mail: StartedTestContainer, token: string) {
  return (method: string, path: string, body?: unknown): Promise<ScimAnswer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const call = request(
        {
          host: mail.getHost(),
          port: mail.getMappedPort(8443),
          method,
          path: `/scim/v2${path}`,
          rejectUnauthorized: false,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/scim+json',
            ...(payload === undefined ? {} : { 'content-type': 'application/scim+json' }),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }),
          );
        },
      );
      call.on('error', reject);
      call.end(payload);
    });
}
