/** Company admin: SCIM tokens (shown once) and IdP group -> workspace/permission set mappings. */
import { Hono } from 'hono';
import * as v from 'valibot';
import { companyGroupMappings, mapGroup, unmapGroup } from '../../services/group-mappings.js';
import { createScimToken, listCompanyScimTokens, revokeCompanyScimToken, scimBaseUrl } from '../../services/scim-tokens.js';
import type { GroupMapping } from '../../services/group-mappings.js';
import type { ScimToken } from '../../services/scim-tokens.js';
import type { AppEnv } from '../env.js';
import { describe } from '../openapi-helpers.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';

const tag = 'Company admin';
/** A company API key, or the session of a signed-in admin (the admin page calls this API with its cookie). */
const security = 'companyAdmin' as const;

const presentToken = (t: ScimToken) => ({
  id: t.id,
  label: t.label,
  createdAt: t.createdAt.toISOString(),
  revokedAt: t.revokedAt ? t.revokedAt.toISOString() : null,
});
const presentMapping = (m: GroupMapping) => ({
  groupId: m.groupId,
  workspaceId: m.workspaceId,
  permissionSetId: m.permissionSetId,
  priority: m.priority,
  createdAt: m.createdAt.toISOString(),
});

export const adminScimRoutes = new Hono<AppEnv>()
  .post(
    '/scim-tokens',
    describe({ operationId: 'createScimToken', summary: 'Create a SCIM bearer token (shown only in this response) and get the SCIM base URL', tag, security, responses: { 201: { description: 'Created', schema: s.CreatedScimToken } }, errors: [400, 401, 404, 415] }),
    validate('json', s.CreateScimTokenBody),
    async (c) => {
      const body = c.req.valid('json');
      const created = await createScimToken(c.get('deps'), c.get('actor'), c.get('authCompanyId'), body?.label ?? null);
      return c.json({ ...presentToken(created.row), token: created.token, scimBaseUrl: created.scimBaseUrl }, 201);
    },
  )
  .get(
    '/scim-tokens',
    describe({ operationId: 'listScimTokens', summary: 'List SCIM tokens (never their secrets)', tag, security, responses: { 200: { description: 'Tokens', schema: s.ScimTokenList } }, errors: [401, 404] }),
    async (c) => {
      const rows = await listCompanyScimTokens(c.get('deps'), c.get('authCompanyId'));
      return c.json({ scimTokens: rows.map(presentToken), scimBaseUrl: scimBaseUrl(c.get('deps').publicUrl, c.get('authCompanyId')) });
    },
  )
  .delete(
    '/scim-tokens/:tokenId',
    describe({ operationId: 'revokeScimToken', summary: 'Revoke a SCIM token', tag, security, responses: { 204: { description: 'Revoked' } }, errors: [401, 404] }),
    validate('param', v.object({ tokenId: v.pipe(v.string(), v.maxLength(64)) })),
    async (c) => {
      await revokeCompanyScimToken(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.valid('param').tokenId);
      return c.body(null, 204);
    },
  )
  .get(
    '/scim/group-mappings',
    describe({ operationId: 'listGroupMappings', summary: 'IdP group mappings', tag, security, responses: { 200: { description: 'Mappings', schema: s.GroupMappingList } }, errors: [401, 404] }),
    async (c) => c.json({ groupMappings: (await companyGroupMappings(c.get('deps'), c.get('authCompanyId'))).map(presentMapping) }),
  )
  .put(
    '/scim/group-mappings/:groupId',
    describe({ operationId: 'saveGroupMapping', summary: "Map an IdP group to a workspace and permission set (used for its members' JIT accounts)", tag, security, responses: { 200: { description: 'Saved', schema: s.GroupMapping } }, errors: [400, 401, 404, 415] }),
    validate('param', v.object({ groupId: v.pipe(v.string(), v.maxLength(64)) })),
    validate('json', s.GroupMappingBody),
    async (c) => {
      const mapping = await mapGroup(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.valid('param').groupId, c.req.valid('json'));
      return c.json(presentMapping(mapping));
    },
  )
  .delete(
    '/scim/group-mappings/:groupId',
    describe({ operationId: 'deleteGroupMapping', summary: 'Remove a group mapping', tag, security, responses: { 204: { description: 'Removed' } }, errors: [401, 404] }),
    validate('param', v.object({ groupId: v.pipe(v.string(), v.maxLength(64)) })),
    async (c) => {
      await unmapGroup(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.valid('param').groupId);
      return c.body(null, 204);
    },
  );
