import { MAX_RESULTS } from '../auth/provisioning/scim/scim-query.ts';
import { type Json, SCHEMAS } from '../auth/provisioning/scim/scim-resources.ts';
import { SIGN_IN_METHODS, SIGN_IN_PROTOCOLS } from '../vocabulary/sign-in.ts';

/** What the SCIM endpoint supports (RFC 7643 §5-7), for IdPs that read it before they provision. */
export function serviceProviderConfig(baseUrl: string): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'The SCIM_TOKEN shared with the identity provider',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string): Json[] {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A mailbox',
      schema: SCHEMAS.user,
      schemaExtensions: [{ schema: SCHEMAS.mailbox, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A distribution list: its address delivers to its members, who may send as it',
      schema: SCHEMAS.group,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

const attribute = (name: string, type: string, description: string, extra: Json = {}): Json => ({
  name,
  type,
  description,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

/** The attributes idmail reads; others are kept as sent and returned. */
export function schemas(baseUrl: string): Json[] {
  const schema = (id: string, name: string, attributes: Json[]): Json => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(SCHEMAS.user, 'User', [
      attribute('userName', 'string', 'The mailbox address, or a login name when emails has the address', {
        required: true,
        uniqueness: 'server',
      }),
      attribute('active', 'boolean', 'false: no sign-in and no delivery'),
      attribute('emails', 'complex', 'The primary one is the mailbox address when userName is not an address', {
        multiValued: true,
      }),
    ]),
    schema(SCHEMAS.group, 'Group', [
      attribute('displayName', 'string', 'The list address, or a name made into one in the first of MAIL_DOMAINS', {
        required: true,
        uniqueness: 'server',
      }),
      attribute('members', 'complex', 'Users who receive the list and may send as it', { multiValued: true }),
    ]),
    schema(SCHEMAS.mailbox, 'Mailbox', [
      attribute('template', 'string', 'A PROVISIONING_TEMPLATES name: quota and protocols'),
      attribute('signInMethods', 'string', `Any of ${SIGN_IN_METHODS.join(', ')}`, { multiValued: true }),
      attribute('signInProtocols', 'string', `Any of ${SIGN_IN_PROTOCOLS.join(', ')}`, { multiValued: true }),
    ]),
  ];
}
