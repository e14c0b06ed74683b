import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ScimProvisioner } from '../auth/provisioning/scim/scim-provisioner.ts';
import {
  type Json,
  SCHEMAS,
  ScimError,
  type ScimResourceType,
  served,
} from '../auth/provisioning/scim/scim-resources.ts';
import type { ScimRecord } from '../auth/provisioning/scim/scim-store.ts';
import type { SharedSecretGate } from '../auth/shared-secret-gate.ts';
import { resourceTypes, schemas, serviceProviderConfig } from './scim-discovery.ts';

/**
 * SCIM 2.0 over HTTP (RFC 7644) under /scim/v2, translated to the provisioner and back:
 * bearer-token check, application/scim+json in and out, list paging, and errors in the
 * RFC's format without internals.
 */
export const SCIM_PREFIX = '/scim/v2';
const SCIM_JSON = 'application/scim+json; charset=utf-8';
const PATHS: Record<string, ScimResourceType> = { Users: 'User', Groups: 'Group' };
const MAX_BODY = 1024 * 1024;

function errorBody(status: number, detail: string, scimType?: string): Json {
  return { schemas: [SCHEMAS.error], status: String(status), ...(scimType === undefined ? {} : { scimType }), detail };
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${SCIM_PREFIX}`;
}

function listQuery(query: Record<string, string | undefined>) {
  const integer = (value: string | undefined, fallback: number) =>
    value !== undefined && /^-?\d{1,9}$/.test(value) ? Number(value) : fallback;
  return { filter: query.filter, startIndex: integer(query.startIndex, 1), count: integer(query.count, 100) };
}

/** Routes for the IdP the gate admits (SCIM_TOKEN). Registered in their own scope: the SCIM media type and errors stay here. */
export function scimRoutes(provisioner: ScimProvisioner, gate: SharedSecretGate) {
  return async (app: FastifyInstance): Promise<void> => {
    // A Group with thousands of members is a large body; the self-service API beside it stays small.
    app.addHook('onRoute', (route) => {
      route.bodyLimit = MAX_BODY;
    });
    app.addContentTypeParser(
      'application/scim+json',
      { parseAs: 'string' },
      app.getDefaultJsonParser('error', 'error'),
    );
    app.addHook('onRequest', async (request, reply) => {
      if (await gate.admits(request.headers.authorization, request.ip)) return;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="scim"')
        .send(errorBody(401, 'a valid bearer token is required'));
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.type(SCIM_JSON);
      return payload;
    });
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      if (error instanceof ScimError)
        return reply.code(error.status).send(errorBody(error.status, error.message, error.scimType));
      const status =
        error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error.message }, 'SCIM request failed');
      return reply
        .code(status)
        .send(
          errorBody(
            status,
            status === 500 ? 'internal error' : error.message,
            status === 400 ? 'invalidSyntax' : undefined,
          ),
        );
    });

    app.get('/ServiceProviderConfig', async (request) => serviceProviderConfig(baseUrl(request)));
    app.get('/ResourceTypes', async (request) => listResponse(resourceTypes(baseUrl(request))));
    app.get('/Schemas', async (request) => listResponse(schemas(baseUrl(request))));
    app.get<{ Params: { id: string } }>('/ResourceTypes/:id', async (request) =>
      oneOf(resourceTypes(baseUrl(request)), request.params.id),
    );
    app.get<{ Params: { id: string } }>('/Schemas/:id', async (request) =>
      oneOf(schemas(baseUrl(request)), request.params.id),
    );

    for (const [path, type] of Object.entries(PATHS)) resourceRoutes(app, provisioner, path, type);
  };
}

function resourceRoutes(
  app: FastifyInstance,
  provisioner: ScimProvisioner,
  path: string,
  type: ScimResourceType,
): void {
  type ById = { Params: { id: string } };
  const view = (request: FastifyRequest) => (record: ScimRecord) => served(type, record, baseUrl(request));
  const created = (request: FastifyRequest, reply: FastifyReply, record: ScimRecord) => {
    const resource = view(request)(record);
    return reply
      .code(201)
      .header('location', (resource.meta as Json).location)
      .send(resource);
  };

  app.get<{ Querystring: Record<string, string | undefined> }>(`/${path}`, async (request) => {
    const query = listQuery(request.query);
    const { total, page } = provisioner.list(type, query, view(request));
    return {
      schemas: [SCHEMAS.list],
      totalResults: total,
      startIndex: Math.max(1, query.startIndex),
      itemsPerPage: page.length,
      Resources: page,
    };
  });
  app.post(`/${path}`, async (request, reply) => created(request, reply, await provisioner.create(type, request.body)));
  app.get<ById>(`/${path}/:id`, async (request) => view(request)(provisioner.get(type, request.params.id)));
  app.put<ById>(`/${path}/:id`, async (request) =>
    view(request)(await provisioner.replace(type, request.params.id, request.body)),
  );
  app.patch<ById>(`/${path}/:id`, async (request) =>
    view(request)(await provisioner.patch(type, request.params.id, request.body)),
  );
  app.delete<ById>(`/${path}/:id`, async (request, reply) => {
    provisioner.delete(type, request.params.id);
    return reply.code(204).send();
  });
}

function listResponse(resources: Json[]): Json {
  return {
    schemas: [SCHEMAS.list],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

function oneOf(resources: Json[], id: string): Json {
  const found = resources.find((resource) => resource.id === id);
  if (found === undefined) throw new ScimError(404, undefined, `${id} not found`);
  return found;
}
