/** Example payloads from RFC 7643 §8 and RFC 7644 §3, as an IdP would send them (server-owned id and meta included: they must be ignored). */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MAILBOX_EXTENSION = 'urn:idmail:params:scim:schemas:extension:mailbox:2.0:User';

/** RFC 7643 §8.1, Minimal User Representation. */
export const MINIMAL_USER = {
  schemas: [USER_SCHEMA],
  id: '2819c223-7f76-453a-919d-413861904646',
  userName: 'bjensen@example.com',
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"3694e05e9dff590"',
    location: 'https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646',
  },
};

/** RFC 7643 §8.2, Full User Representation (abridged: the attributes idmail does not read are kept as they are). */
export const FULL_USER = {
  schemas: [USER_SCHEMA],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: '701984',
  userName: 'bjensen',
  name: {
    formatted: 'Ms. Barbara J Jensen, III',
    familyName: 'Jensen',
    givenName: 'Barbara',
    middleName: 'Jane',
    honorificPrefix: 'Ms.',
    honorificSuffix: 'III',
  },
  displayName: 'Babs Jensen',
  nickName: 'Babs',
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  userType: 'Employee',
  preferredLanguage: 'en-US',
  locale: 'en-US',
  timezone: 'America/Los_Angeles',
  active: true,
};

/** RFC 7644 §3.3, the creation request: no mail address anywhere. */
export const USER_WITHOUT_ADDRESS = {
  schemas: [USER_SCHEMA],
  userName: 'bjensen',
  externalId: 'bjensen',
  name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
};

/** RFC 7643 §8.4, Group Representation, with member ids given by the server. */
export const tourGuides = (memberIds: string[]) => ({
  schemas: [GROUP_SCHEMA],
  id: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
  displayName: 'Tour Guides',
  members: memberIds.map((value) => ({ value, display: 'a member' })),
});

export const patchOf = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_SCHEMA], Operations });

/** RFC 7644 §3.5.2.1: add a member. */
export const addMember = (id: string) =>
  patchOf({ op: 'add', path: 'members', value: [{ display: 'Babs Jensen', value: id }] });

/** RFC 7644 §3.5.2.2: remove one member by filter. */
export const removeMember = (id: string) => patchOf({ op: 'remove', path: `members[value eq "${id}"]` });

/** Okta's deactivation (no path), and Entra ID's (a capitalised op and a string). */
export const DEACTIVATE_OKTA = patchOf({ op: 'replace', value: { active: false } });
export const DEACTIVATE_ENTRA = patchOf({ op: 'Replace', path: 'active', value: 'False' });
export const REACTIVATE = patchOf({ op: 'replace', path: 'active', value: true });
