import { type Filter, parse, Tester } from 'scim2-parse-filter';
import { asciiLower } from '../../../vocabulary/address.ts';
import { type Json, ScimError } from './scim-resources.ts';
import type { ScimRecord } from './scim-store.ts';

/** A list request (RFC 7644 §3.4.2): filter, and 1-based paging. */
export interface ListQuery {
  filter: string | undefined;
  startIndex: number;
  count: number;
}

export const MAX_RESULTS = 200;

/**
 * Attribute values compare case-insensitively, as SCIM's default caseExact=false says (userName, emails,
 * displayName): ASCII letters only, as every name here, so no Unicode case mapping makes two names one.
 */
class CaseInsensitiveTester extends Tester {
  override eq(value: unknown, expected: unknown): boolean {
    return typeof value === 'string' && typeof expected === 'string'
      ? asciiLower(value) === asciiLower(expected)
      : value === expected;
  }

  override ne(value: unknown, expected: unknown): boolean {
    return !this.eq(value, expected);
  }
}

const tester = new CaseInsensitiveTester();

function parsedFilter(text: string): Filter {
  try {
    return parse(text);
  } catch (error) {
    throw new ScimError(
      400,
      'invalidFilter',
      `filter ${JSON.stringify(text)} is not valid: ${(error as Error).message}`,
    );
  }
}

/** `userName eq "…"` for Users, `displayName eq "…"` for Groups: the name an IdP looks a resource up by, answered from an index. */
function nameLookup(filter: Filter, nameAttribute: string): string | undefined {
  if (filter.op !== 'eq' || !('attrPath' in filter) || typeof filter.compValue !== 'string') return undefined;
  const path = filter.attrPath.slice(filter.attrPath.lastIndexOf(':') + 1);
  return asciiLower(path) === asciiLower(nameAttribute) ? filter.compValue : undefined;
}

/**
 * The page of resources a list request asks for. The common exact-name lookup reads one row;
 * any other filter is evaluated over every resource of the type.
 */
export function matching(
  query: ListQuery,
  nameAttribute: string,
  lookup: (name: string | undefined) => (ScimRecord | undefined)[],
  toJson: (record: ScimRecord) => Json,
): { total: number; page: Json[] } {
  const filter = query.filter === undefined ? undefined : parsedFilter(query.filter);
  const name = filter === undefined ? undefined : nameLookup(filter, nameAttribute);
  const candidates = lookup(name)
    .filter((record): record is ScimRecord => record !== undefined)
    .map(toJson);
  const found = filter === undefined ? candidates : candidates.filter((resource) => tester.test(resource, filter));
  const start = Math.max(1, query.startIndex) - 1;
  const count = Math.min(Math.max(0, query.count), MAX_RESULTS);
  return { total: found.length, page: found.slice(start, start + count) };
}
