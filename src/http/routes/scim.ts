/**
 * SCIM 2.0 (RFC 7644) under /scim/v2/:companyId, for the company's IdP with a SCIM bearer token.
 * Everything here answers in SCIM form, failures included: application/scim+json, and the RFC 7644
 * §3.12 error body with `status` and `scimType`.
 */
import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import {
  listResponse,
  parseListQuery,
  project,
  resourceTypes,
  schemas,
  scimErrorBody,
  serviceProviderConfig,
} from '../../scim/index.js';
import type { ScimListQuery } from '../../scim/index.js';
import { ScimError } from '../../scim/types.js';
import { createScimGroup, deleteScimGroup, getScimGroup, groupResource, listScimGroups, patchScimGroup, replaceScimGroup } from '../../services/scim-groups.js';
import type { ScimCaller } from '../../services/scim-tokens.js';
import { authenticateScimToken, scimBaseUrl, scimCaller, scimTokenFailure, tokenRequired } from '../../services/scim-tokens.js';
import { createScimUser, deleteScimUser, getScimUser, listScimUsers, patchScimUser, replaceScimUser, userResource } from '../../services/scim-users.js';
import type { AppEnv } from '../env.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../errors.js';
import { jsonHasNul } from '../middleware/request.js';
import { findIllFormedText } from '../../core/text.js';
import { loggableError } from '../loggable-error.js';
import { describeRoute } from 'hono-openapi';
import { scimListParameters, scimOperation, scimProjectionParameters } from '../scim-openapi.js';

const SCIM_JSON = 'application/scim+json; charset=utf-8';
export const SCIM_BODY_LIMIT_BYTES = 1024 * 1024;
/** A whole-group push (PUT or POST of every member, as Okta sends it): 50,000 members are about 3 MB. */
export const SCIM_GROUP_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

function scimJson(c: Context<AppEnv>, body: unknown, status: 200 | 201 = 200): Response {
  return c.body(JSON.stringify(body), status, { 'Content-Type': SCIM_JSON });
}

/** Every failure of a SCIM route, in SCIM form; unexpected ones are logged and hidden behind a 500. */
export function scimFailure(error: unknown, c: Context<AppEnv>): Response | Promise<Response> {
  if (isDatabaseUnavailable(error)) return databaseUnavailable(c, error);
  let scim: ScimError;
  if (error instanceof ScimError) scim = error;
  else if (error instanceof HTTPException && error.status < 500) {
    scim = new ScimError(error.status, error.status === 400 ? 'invalidSyntax' : null, error.message || 'Bad request');
  } else {
    console.error(JSON.stringify({ level: 'error', msg: 'unhandled SCIM error', requestId: c.get('requestId'), ...loggableError(error) }));
    scim = new ScimError(500, null, 'Something went wrong on our side.');
  }
  if (scim.status === 401) c.header('WWW-Authenticate', 'Bearer');
  return c.body(JSON.stringify(scimErrorBody(scim)), scim.status as 400, { 'Content-Type': SCIM_JSON });
}

/** The JSON body of a SCIM write; JSON or scim+json, anything else or malformed is invalidSyntax. */
async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/scim+json' && type !== 'application/json') {
    throw new ScimError(415, 'invalidSyntax', 'Send the body as application/scim+json or application/json');
  }
  const text = await c.req.text();
  if (jsonHasNul(text)) throw new ScimError(400, 'invalidValue', 'Strings must not contain NUL characters');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new ScimError(400, 'invalidSyntax', 'The body is not valid JSON');
  }
  const bad = findIllFormedText(body);
  if (bad !== null) throw new ScimError(400, 'invalidValue', `invalid_characters: ${bad} contains a control character or an unpaired surrogate`);
  return body;
}

const listQuery = (c: Context<AppEnv>) => parseListQuery(c.req.query());

/** project() copies the whole resource even when nothing is selected or excluded; a fresh rendering needs no copy. */
const view = (resource: Record<string, unknown>, q: ScimListQuery) =>
  q.attributes === null && q.excludedAttributes === null ? resource : project(resource, q.attributes, q.excludedAttributes);

const bearerOf = (c: Context<AppEnv>): string | null => /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? null;

/**
 * The requests whose handler checks the token in its first statement (withCaller): the IdPs' sync
 * traffic, one round trip fewer each. Exactly the paths of the handlers that do (hono's `:id` is one
 * segment); anything else, a trailing slash or HEAD included, takes the middleware's check first.
 */
const CHECKED_IN_STATEMENT: Record<string, RegExp> = {
  GET: /^\/scim\/v2\/[^/]+\/Users(?:\/[^/]+)?$/,
  POST: /^\/scim\/v2\/[^/]+\/Users$/,
  PUT: /^\/scim\/v2\/[^/]+\/Users\/[^/]+$/,
  PATCH: /^\/scim\/v2\/[^/]+\/Users\/[^/]+$/,
};

/**
 * Runs a handler whose statements check the token (src/store/scim-user-statements.ts). An error
 * raised before that check decided (a malformed filter or body, a unique violation, an id that cannot
 * exist) is answered only after the classic check: a wrong token still gets 401, another company's 404.
 */
async function withCaller<T>(c: Context<AppEnv>, work: (caller: ScimCaller) => Promise<T>): Promise<T> {
  const presented = bearerOf(c) ?? '';
  const caller = scimCaller(presented, c.req.param('companyId') ?? '');
  if (!caller) throw tokenRequired();
  c.set('actor', { type: 'scim', id: caller.check.tokenId });
  try {
    return await work(caller);
  } catch (error) {
    // A database that does not answer is a 503 now: asking it again for the token would double the wait.
    if (!caller.settled && !isDatabaseUnavailable(error)) {
      const refused = await scimTokenFailure(c.get('deps'), presented, caller.check.companyId);
      if (refused) throw refused;
    }
    throw error;
  }
}

/**
 * hono's bodyLimit, with its Content-Length case decided from the header alone: hono's reads
 * `c.req.raw.body` first, which makes @hono/node-server build a full fetch Request (an AbortController,
 * Headers, a stream) for every request, GETs included, a large part of a lookup's CPU. Node's parser
 * never delivers more than Content-Length; a GET or HEAD has no body; a chunked body is counted by hono.
 */
const limit = (maxSize: number): MiddlewareHandler<AppEnv> => {
  const refuse = (c: Context<AppEnv>) => scimFailure(new ScimError(413, null, `The body is over ${maxSize} bytes`), c);
  const counted = bodyLimit({ maxSize, onError: (c) => refuse(c as Context<AppEnv>) });
  return async (c, next) => {
    const length = c.req.header('Content-Length');
    if (length !== undefined && c.req.header('Transfer-Encoding') === undefined) {
      if (Number.parseInt(length, 10) > maxSize) return refuse(c);
      return next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return counted(c, next);
  };
};
const bodyLimits = { groups: limit(SCIM_GROUP_BODY_LIMIT_BYTES), other: limit(SCIM_BODY_LIMIT_BYTES) };
/** /scim/v2/:companyId/Groups and /Groups/:id; every other SCIM body (Users first) keeps the 1 MiB limit. */
const GROUPS_PATH = /^\/scim\/v2\/[^/]+\/Groups(?:\/[^/]*)?$/;

export const scimRoutes = new Hono<AppEnv>()
  .use((c, next) => (GROUPS_PATH.test(c.req.path) ? bodyLimits.groups(c, next) : bodyLimits.other(c, next)))
  .use(async (c, next) => {
    const presented = bearerOf(c);
    if (presented && CHECKED_IN_STATEMENT[c.req.method]?.test(c.req.path)) return next();
    const auth = presented ? await authenticateScimToken(c.get('deps'), presented) : null;
    if (!auth) return scimFailure(new ScimError(401, null, 'A valid SCIM bearer token is required'), c);
    // A token only ever reaches its own company's data; another company's base URL is "not found".
    if (auth.companyId !== c.req.param('companyId')) return scimFailure(new ScimError(404, null, 'Not found'), c);
    c.set('actor', { type: 'scim', id: auth.tokenId });
    c.set('authCompanyId', auth.companyId);
    return next();
  })
  .get('/ServiceProviderConfig', describeRoute(scimOperation({ operationId: 'scimGetServiceProviderConfig', summary: 'SCIM service provider configuration', status: 200, responseDescription: 'Config', response: 'ScimServiceProviderConfig', errors: [401, 404] })), (c) =>
    scimJson(c, serviceProviderConfig(scimBaseUrl(c.get('deps').publicUrl, c.get('authCompanyId')))),
  )
  .get('/ResourceTypes', describeRoute(scimOperation({ operationId: 'scimListResourceTypes', summary: 'SCIM resource types', status: 200, responseDescription: 'ListResponse of resource types', response: 'ScimResourceTypeListResponse', errors: [401, 404] })), (c) => {
    const all = resourceTypes(scimBaseUrl(c.get('deps').publicUrl, c.get('authCompanyId')));
    return scimJson(c, listResponse(all, { totalResults: all.length, startIndex: 1, itemsPerPage: all.length }));
  })
  .get('/ResourceTypes/:name', describeRoute(scimOperation({ operationId: 'scimGetResourceType', summary: 'One SCIM resource type (User or Group)', status: 200, responseDescription: 'Resource type', response: 'ScimResourceType', errors: [401, 404] })), (c) => {
    const found = resourceTypes(scimBaseUrl(c.get('deps').publicUrl, c.get('authCompanyId'))).find((r) => r.id === c.req.param('name'));
    if (!found) throw new ScimError(404, null, 'Unknown resource type');
    return scimJson(c, found);
  })
  .get('/Schemas', describeRoute(scimOperation({ operationId: 'scimListSchemas', summary: 'SCIM schemas', status: 200, responseDescription: 'ListResponse of schemas', response: 'ScimSchemaListResponse', errors: [401, 404] })), (c) => {
    const all = schemas();
    return scimJson(c, listResponse(all, { totalResults: all.length, startIndex: 1, itemsPerPage: all.length }));
  })
  .get('/Schemas/:id', describeRoute(scimOperation({ operationId: 'scimGetSchema', summary: 'One SCIM schema, by its URN', status: 200, responseDescription: 'Schema', response: 'ScimSchema', errors: [401, 404] })), (c) => {
    const found = schemas().find((s) => s.id === c.req.param('id'));
    if (!found) throw new ScimError(404, null, 'Unknown schema');
    return scimJson(c, found);
  })
  .get('/Users', describeRoute(scimOperation({ operationId: 'scimListUsers', summary: 'List or filter directory users', status: 200, responseDescription: 'ListResponse of users', response: 'ScimUserListResponse', parameters: scimListParameters, errors: [400, 401, 404] })), (c) =>
    withCaller(c, async (caller) => {
      const q = listQuery(c);
      const page = await listScimUsers(c.get('deps'), caller, q);
      const resources = page.rows.map((row) => view(userResource(c.get('deps'), row), q));
      return scimJson(c, listResponse(resources, { totalResults: page.total, startIndex: q.startIndex, itemsPerPage: resources.length }));
    }),
  )
  .post('/Users', describeRoute(scimOperation({ operationId: 'scimCreateUser', summary: 'Create a directory user', status: 201, responseDescription: 'Created', response: 'ScimUser', request: 'ScimUser', errors: [400, 401, 404, 409, 413, 415] })), (c) =>
    withCaller(c, async (caller) => {
      const row = await createScimUser(c.get('deps'), c.get('actor'), caller, await readJson(c));
      const resource = userResource(c.get('deps'), row);
      c.header('Location', String((resource.meta as { location: string }).location));
      return scimJson(c, resource, 201);
    }),
  )
  .get('/Users/:id', describeRoute(scimOperation({ operationId: 'scimGetUser', summary: 'Get a directory user', status: 200, responseDescription: 'User', response: 'ScimUser', parameters: scimProjectionParameters, errors: [400, 401, 404] })), (c) =>
    withCaller(c, async (caller) => {
      const q = listQuery(c);
      const row = await getScimUser(c.get('deps'), caller, c.req.param('id'));
      return scimJson(c, view(userResource(c.get('deps'), row), q));
    }),
  )
  .put('/Users/:id', describeRoute(scimOperation({ operationId: 'scimReplaceUser', summary: 'Replace a directory user', status: 200, responseDescription: 'User', response: 'ScimUser', request: 'ScimUser', errors: [400, 401, 404, 409, 413, 415] })), (c) =>
    withCaller(c, async (caller) => {
      const row = await replaceScimUser(c.get('deps'), c.get('actor'), caller, c.req.param('id'), await readJson(c));
      return scimJson(c, userResource(c.get('deps'), row));
    }),
  )
  .patch('/Users/:id', describeRoute(scimOperation({ operationId: 'scimPatchUser', summary: 'Patch a directory user (deactivation suspends the dashboard account)', status: 200, responseDescription: 'User', response: 'ScimUser', request: 'ScimPatchOp', errors: [400, 401, 404, 409, 413, 415] })), (c) =>
    withCaller(c, async (caller) => {
      const row = await patchScimUser(c.get('deps'), c.get('actor'), caller, c.req.param('id'), await readJson(c));
      return scimJson(c, userResource(c.get('deps'), row));
    }),
  )
  .delete('/Users/:id', describeRoute(scimOperation({ operationId: 'scimDeleteUser', summary: 'Delete a directory user (suspends the dashboard account)', status: 204, responseDescription: 'Deleted', errors: [401, 404] })), async (c) => {
    await deleteScimUser(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('id'));
    return c.body(null, 204);
  })
  .get('/Groups', describeRoute(scimOperation({ operationId: 'scimListGroups', summary: 'List or filter directory groups', status: 200, responseDescription: 'ListResponse of groups', response: 'ScimGroupListResponse', parameters: scimListParameters, errors: [400, 401, 404] })), async (c) => {
    const q = listQuery(c);
    const withMembers = !(q.excludedAttributes ?? []).some((a) => a.toLowerCase() === 'members');
    const page = await listScimGroups(c.get('deps'), c.get('authCompanyId'), { ...q, withMembers });
    const resources = page.groups.map((g) => view(groupResource(c.get('deps'), g), q));
    return scimJson(c, listResponse(resources, { totalResults: page.total, startIndex: q.startIndex, itemsPerPage: resources.length }));
  })
  .post('/Groups', describeRoute(scimOperation({ operationId: 'scimCreateGroup', summary: 'Create a directory group', status: 201, responseDescription: 'Created', response: 'ScimGroup', request: 'ScimGroup', errors: [400, 401, 404, 409, 413, 415] })), async (c) => {
    const group = await createScimGroup(c.get('deps'), c.get('actor'), c.get('authCompanyId'), await readJson(c));
    const resource = groupResource(c.get('deps'), group);
    c.header('Location', String((resource.meta as { location: string }).location));
    return scimJson(c, resource, 201);
  })
  .get('/Groups/:id', describeRoute(scimOperation({ operationId: 'scimGetGroup', summary: 'Get a directory group', status: 200, responseDescription: 'Group', response: 'ScimGroup', parameters: scimProjectionParameters, errors: [400, 401, 404] })), async (c) => {
    const q = listQuery(c);
    const group = await getScimGroup(c.get('deps'), c.get('authCompanyId'), c.req.param('id'));
    return scimJson(c, view(groupResource(c.get('deps'), group), q));
  })
  .put('/Groups/:id', describeRoute(scimOperation({ operationId: 'scimReplaceGroup', summary: 'Replace a directory group', status: 200, responseDescription: 'Group', response: 'ScimGroup', request: 'ScimGroup', errors: [400, 401, 404, 409, 413, 415] })), async (c) => {
    const group = await replaceScimGroup(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('id'), await readJson(c));
    return scimJson(c, groupResource(c.get('deps'), group));
  })
  .patch('/Groups/:id', describeRoute(scimOperation({ operationId: 'scimPatchGroup', summary: 'Patch a directory group (membership changes answer 204)', status: 204, responseDescription: 'Patched', request: 'ScimPatchOp', errors: [400, 401, 404, 409, 413, 415] })), async (c) => {
    await patchScimGroup(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('id'), await readJson(c));
    // Entra: "Update to the group PATCH request should yield an HTTP 204 No Content".
    return c.body(null, 204);
  })
  .delete('/Groups/:id', describeRoute(scimOperation({ operationId: 'scimDeleteGroup', summary: 'Delete a directory group', status: 204, responseDescription: 'Deleted', errors: [401, 404] })), async (c) => {
    await deleteScimGroup(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('id'));
    return c.body(null, 204);
  })
  .all('*', (c) => scimFailure(new ScimError(404, null, `No SCIM endpoint ${c.req.method} ${c.req.path}`), c));

scimRoutes.onError(scimFailure);
