import { asciiLower } from '../../../vocabulary/address.ts';
import { own } from '../../../vocabulary/own-property.ts';

/**
 * SCIM 2.0 resources (RFC 7643) as idmail keeps them: the JSON the IdP sent, minus what the server
 * owns (id, meta), plus idmail's extension for a mailbox's template and sign-in policy.
 */
export const SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  mailbox: 'urn:idmail:params:scim:schemas:extension:mailbox:2.0:User',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

export type ScimResourceType = 'User' | 'Group';

export type Json = Record<string, unknown>;

/** A refusal in RFC 7644 §3.12 terms: HTTP status and, for 400 and 409, a scimType. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: string | undefined;

  constructor(status: number, scimType: string | undefined, detail: string) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
  }
}

export const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** Names that reach an object's prototype when used as a key; SCIM attribute names are case-insensitive, so any case. */
const PROTOTYPE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const namesPrototype = (name: string) => PROTOTYPE_NAMES.has(asciiLower(name));

/** Refuses a body or value that has, at any depth, a key naming the prototype. */
export function refusePrototypeKeys(value: unknown, where: string): void {
  if (Array.isArray(value)) {
    for (const item of value) refusePrototypeKeys(item, where);
    return;
  }
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    if (namesPrototype(key)) throw invalidValue(`${where} has the attribute "${key}", which is not allowed`);
    refusePrototypeKeys(value[key], where);
  }
}

/** Refuses a PATCH path (attribute, sub-attribute, schema URN, value filter) with any part naming the prototype. */
export function refusePrototypePath(path: string): void {
  const part = path.split(/[^A-Za-z0-9_$-]+/).find(namesPrototype);
  if (part !== undefined)
    throw new ScimError(400, 'invalidPath', `the path "${path}" names "${part}", which is not allowed`);
}

/** What the server sets itself; a client's values for these are ignored (RFC 7643 §3.1). */
const SERVER_OWNED = new Set(['id', 'meta']);

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The client's resource without server-owned attributes; refuses anything that is not a JSON object of the type. */
export function clientResource(body: unknown, type: ScimResourceType): Json {
  if (!isObject(body)) throw invalidValue(`a ${type} must be a JSON object`);
  refusePrototypeKeys(body, `the ${type}`);
  const schemas = own(body, 'schemas');
  const core = type === 'User' ? SCHEMAS.user : SCHEMAS.group;
  if (!Array.isArray(schemas) || !schemas.includes(core)) throw invalidValue(`"schemas" must include ${core}`);
  const resource = Object.fromEntries(Object.entries(body).filter(([key]) => !SERVER_OWNED.has(key)));
  normalizeActive(resource);
  return resource;
}

/** Entra ID sends "True"/"False" strings for active; anything else that is not a boolean is refused. */
function normalizeActive(resource: Json): void {
  const active = own(resource, 'active');
  if (active === undefined || typeof active === 'boolean') return;
  if (typeof active === 'string' && /^(true|false)$/i.test(active)) {
    resource.active = active.toLowerCase() === 'true';
    return;
  }
  throw invalidValue('"active" must be true or false');
}

export function requiredString(resource: Json, name: string, maxLength = 256): string {
  const value = own(resource, name);
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw invalidValue(`"${name}" must be a non-empty string of at most ${maxLength} characters`);
  }
  return value.trim();
}

/** The mail addresses a User lists, primary first. */
export function emailsOf(resource: Json): string[] {
  const listed = own(resource, 'emails');
  const emails = Array.isArray(listed) ? listed.filter(isObject) : [];
  const ordered = [
    ...emails.filter((email) => own(email, 'primary') === true),
    ...emails.filter((email) => own(email, 'primary') !== true),
  ];
  return ordered.map((email) => own(email, 'value')).filter((value): value is string => typeof value === 'string');
}

/** Member ids of a Group (`members[].value`). */
export function memberIdsOf(resource: Json): string[] {
  const members = own(resource, 'members');
  if (members === undefined) return [];
  if (
    !Array.isArray(members) ||
    !members.every((member) => isObject(member) && typeof own(member, 'value') === 'string')
  ) {
    throw invalidValue('"members" must be a list of {"value": "<user id>"}');
  }
  return [...new Set(members.map((member) => own(member as Json, 'value') as string))];
}

/** idmail's extension of a User: which template and, optionally, which sign-in methods and protocols. */
export function mailboxExtensionOf(resource: Json): Json {
  const extension = own(resource, SCHEMAS.mailbox);
  if (extension === undefined) return {};
  if (!isObject(extension)) throw invalidValue(`"${SCHEMAS.mailbox}" must be an object`);
  return extension;
}

export interface StoredResource {
  id: string;
  resource: Json;
  createdAt: number;
  modifiedAt: number;
}

/** The resource as served: the client's attributes, then id and meta. */
export function served(type: ScimResourceType, stored: StoredResource, baseUrl: string): Json {
  const path = type === 'User' ? 'Users' : 'Groups';
  return {
    ...stored.resource,
    id: stored.id,
    meta: {
      resourceType: type,
      created: new Date(stored.createdAt).toISOString(),
      lastModified: new Date(stored.modifiedAt).toISOString(),
      location: `${baseUrl}/${path}/${stored.id}`,
    },
  };
}
