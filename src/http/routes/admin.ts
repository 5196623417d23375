/** Company admin API under /api/companies/:companyId (company API key). */
import { Hono } from 'hono';
import { companyAuditPage } from '../../services/audit.js';
import { inviteUser, listCompanyUsers } from '../../services/users.js';
import { createPermissionSet, createWorkspace, listPermissionSets, listWorkspaces } from '../../services/workspaces.js';
import type { AppEnv } from '../env.js';
import { describe } from '../openapi-helpers.js';
import { pageOf, presentAuditEvent, presentPermissionSet, presentUser, presentWorkspace } from '../present.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';

const tag = 'Company admin';
/** A company API key, or the session of a signed-in admin (the admin page calls this API with its cookie). */
const security = 'companyAdmin' as const;

export const adminRoutes = new Hono<AppEnv>()
  .post(
    '/workspaces',
    describe({ operationId: 'createWorkspace', summary: 'Create a workspace', tag, security, responses: { 201: { description: 'Created', schema: s.Workspace } }, errors: [400, 401, 404, 409, 415] }),
    validate('json', s.CreateWorkspaceBody),
    async (c) => {
      const workspace = await createWorkspace(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.valid('json').name);
      return c.json(presentWorkspace(workspace), 201);
    },
  )
  .get(
    '/workspaces',
    describe({ operationId: 'listWorkspaces', summary: 'List workspaces', tag, security, responses: { 200: { description: 'Workspaces', schema: s.WorkspaceList } }, errors: [401, 404] }),
    async (c) => c.json({ workspaces: (await listWorkspaces(c.get('deps').db, c.get('authCompanyId'))).map(presentWorkspace) }),
  )
  .post(
    '/permission-sets',
    describe({ operationId: 'createPermissionSet', summary: 'Create a permission set', tag, security, responses: { 201: { description: 'Created', schema: s.PermissionSet } }, errors: [400, 401, 404, 409, 415] }),
    validate('json', s.CreatePermissionSetBody),
    async (c) => {
      const set = await createPermissionSet(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.valid('json'));
      return c.json(presentPermissionSet(set), 201);
    },
  )
  .get(
    '/permission-sets',
    describe({ operationId: 'listPermissionSets', summary: 'List permission sets', tag, security, responses: { 200: { description: 'Permission sets', schema: s.PermissionSetList } }, errors: [401, 404] }),
    async (c) =>
      c.json({ permissionSets: (await listPermissionSets(c.get('deps').db, c.get('authCompanyId'))).map(presentPermissionSet) }),
  )
  .post(
    '/users',
    describe({
      operationId: 'inviteCompanyUser',
      summary: 'Invite a user into a workspace with a permission set; the invitation URL confirms them',
      tag,
      security,
      responses: { 201: { description: 'Invited', schema: s.InvitedUser } },
      errors: [400, 401, 404, 409, 415],
    }),
    validate('json', s.InviteUserBody),
    async (c) => {
      const body = c.req.valid('json');
      const { user, invitationUrl, expiresAt } = await inviteUser(c.get('deps'), c.get('actor'), c.get('authCompanyId'), body);
      return c.json(
        {
          ...presentUser(user, user.memberships),
          invitationUrl,
          invitationExpiresAt: expiresAt.toISOString(),
        },
        201,
      );
    },
  )
  .get(
    '/users',
    describe({
      operationId: 'listCompanyUsers',
      summary: 'List users (optionally the one with an email), with status and how each was provisioned',
      tag,
      security,
      responses: { 200: { description: 'Users', schema: s.UserList } },
      errors: [400, 401, 404],
    }),
    validate('query', s.ListUsersQuery),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await listCompanyUsers(c.get('deps'), c.get('authCompanyId'), {
        email: query.email,
        afterId: query.cursor,
        limit: query.limit + 1,
      });
      const { page, nextCursor } = pageOf(rows, query.limit, (u) => u.id);
      return c.json({ users: page.map((u) => presentUser(u, u.memberships)), nextCursor });
    },
  )
  .get(
    '/audit-events',
    describe({
      operationId: 'listAuditEvents',
      summary: 'Audit events, newest first; pass nextCursor as cursor for the next page',
      tag,
      security,
      responses: { 200: { description: 'Events', schema: s.AuditList } },
      errors: [400, 401, 404],
    }),
    validate('query', s.AuditQuery),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await companyAuditPage(c.get('deps'), c.get('authCompanyId'), {
        beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
        action: query.action,
        limit: query.limit + 1,
      });
      const { page, nextCursor } = pageOf(rows, query.limit, (e) => String(e.seq));
      return c.json({ events: page.map(presentAuditEvent), nextCursor });
    },
  );
