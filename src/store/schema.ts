/**
 * The whole drizzle schema (drizzle-kit reads this file): every table, and the `schema` object the
 * database handles are typed with.
 */
import { apiKeys, auditEvents, companies, domainExceptions, invitations, jitSettings, memberships, permissionSets, users, workspaces } from './schema-core.js';
import { directoryGroupMembers, directoryGroups, directoryUsers, groupMappings, scimTokens } from './schema-directory.js';
import { samlConnections, samlReplayCache, samlRequests, sessions } from './schema-saml.js';
import {
  backchannelDeliveries,
  oidcAccessTokens,
  oidcApplications,
  oidcAuthorizations,
  oidcCodes,
  oidcSessionApplications,
  oidcSigningKeys,
} from './schema-oidc.js';
import { events } from './schema-events.js';
import { webhookDeliveries, webhookEndpoints } from './schema-webhooks.js';

export * from './schema-core.js';
export * from './schema-directory.js';
export * from './schema-saml.js';
export * from './schema-oidc.js';
export * from './schema-events.js';
export * from './schema-webhooks.js';

export const schema = {
  companies,
  workspaces,
  permissionSets,
  users,
  memberships,
  invitations,
  apiKeys,
  jitSettings,
  domainExceptions,
  auditEvents,
  samlConnections,
  samlRequests,
  samlReplayCache,
  sessions,
  scimTokens,
  directoryUsers,
  directoryGroups,
  directoryGroupMembers,
  groupMappings,
  oidcApplications,
  oidcSigningKeys,
  oidcAuthorizations,
  oidcCodes,
  oidcAccessTokens,
  oidcSessionApplications,
  backchannelDeliveries,
  events,
  webhookEndpoints,
  webhookDeliveries,
};
