import { ScimError as PatchError, patchBodyValidation, type ScimPatch, scimPatch } from 'scim-patch';
import {
  clientResource,
  isObject,
  type Json,
  refusePrototypeKeys,
  refusePrototypePath,
  ScimError,
  type ScimResourceType,
} from './scim-resources.ts';

/**
 * Applies a PATCH request (RFC 7644 §3.5.2) to a stored resource with the scim-patch library.
 * Operation names are matched case-insensitively (Entra ID sends "Replace"); the result is checked
 * like a PUT body, so a patch can no more set id or meta, or drop the core schema, than a PUT can.
 * A path or value naming the prototype (__proto__, constructor, prototype) is refused before anything is
 * applied, and the patch works on a copy: the stored resource is never touched.
 */
export function patched(resource: Json, body: unknown, type: ScimResourceType): Json {
  if (!isObject(body) || !Array.isArray(body.Operations))
    throw new ScimError(400, 'invalidSyntax', 'a PATCH body has "schemas" and "Operations"');
  refusePrototypeKeys(body, 'the PATCH request');
  const operations = body.Operations.map((operation: unknown) => {
    if (!isObject(operation)) return operation;
    if (typeof operation.path === 'string') refusePrototypePath(operation.path);
    return typeof operation.op === 'string' ? { ...operation, op: operation.op.toLowerCase() } : operation;
  });
  const request = { ...body, Operations: operations } as unknown as ScimPatch;
  try {
    patchBodyValidation(request);
    const result = scimPatch(structuredClone(resource) as never, request.Operations, {
      mutateDocument: false,
      treatMissingAsAdd: true,
    });
    return clientResource(result, type);
  } catch (error) {
    if (error instanceof PatchError)
      throw new ScimError(400, error.scimCode === 'noTarget' ? 'noTarget' : 'invalidSyntax', error.message);
    throw error;
  }
}
