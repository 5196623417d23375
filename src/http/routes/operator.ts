/** Operator (support) API: companies, admin API keys, domain exceptions, impersonation accounts. */
import { Hono } from 'hono';
import * as v from 'valibot';
import {
  createApiKey,
  createCompany,
  listCompanies,
  listCompanyApiKeys,
  requireCompany,
  revokeCompanyApiKey,
} from '../../services/companies.js';
import {
  createImpersonationAccount,
  grantDomainException,
  listCompanyDomainExceptions,
  revokeDomainException,
} from '../../services/support.js';
import { disableJitAsSupport } from '../../services/jit-settings.js';
import { resealStoredKeys } from '../../services/sp-keys.js';
import type { AppEnv } from '../env.js';
import { requireOperator } from '../middleware/auth.js';
import { describe } from '../openapi-helpers.js';
import {
  presentApiKey,
  presentCompany,
  presentDomainException,
  presentJitSettings,
  presentUser,
} from '../present.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';

const tag = 'Operator';
const security = 'operator' as const;
const CompanyParam = v.object({ companyId: v.pipe(v.string(), v.maxLength(64)) });

export const operatorRoutes = new Hono<AppEnv>()
  .use(requireOperator)
  .post(
    '/reseal',
    describe({
      operationId: 'resealStoredKeys',
      summary: 'Re-seal every stored SP encryption key with the current SESSION_SECRET (after a rotation)',
      description:
        'Run after restarting with a new SESSION_SECRET and the former one in SESSION_SECRET_PREVIOUS. Keys a previous ' +
        'secret opens are sealed again with the current one; when `unreadable` is empty and sessions have renewed, ' +
        'SESSION_SECRET_PREVIOUS can be removed. Safe to repeat.',
      tag,
      security,
      responses: { 200: { description: 'What was re-sealed', schema: s.ResealReport } },
      errors: [401],
    }),
    async (c) => c.json(await resealStoredKeys(c.get('deps'), c.get('actor'))),
  )
  .post(
    '/companies',
    describe({ operationId: 'createCompany', summary: 'Create a company', tag, security, responses: { 201: { description: 'Created', schema: s.Company } }, errors: [400, 401, 413, 415] }),
    validate('json', s.CreateCompanyBody),
    async (c) => {
      const company = await createCompany(c.get('deps'), c.get('actor'), c.req.valid('json').name);
      return c.json(presentCompany(company), 201);
    },
  )
  .get(
    '/companies',
    describe({ operationId: 'listCompanies', summary: 'List companies', tag, security, responses: { 200: { description: 'Companies', schema: s.CompanyList } }, errors: [401] }),
    async (c) => c.json({ companies: (await listCompanies(c.get('deps').db)).map(presentCompany) }),
  )
  .get(
    '/companies/:companyId',
    describe({ operationId: 'getCompany', summary: 'Get a company', tag, security, responses: { 200: { description: 'The company', schema: s.Company } }, errors: [401, 404] }),
    validate('param', CompanyParam),
    async (c) => c.json(presentCompany(await requireCompany(c.get('deps'), c.req.valid('param').companyId))),
  )
  .post(
    '/companies/:companyId/api-keys',
    describe({
      operationId: 'createApiKey',
      summary: 'Create a company admin API key (the key is shown only in this response)',
      tag,
      security,
      responses: { 201: { description: 'Created', schema: s.CreatedApiKey } },
      errors: [400, 401, 404, 415],
    }),
    validate('param', CompanyParam),
    validate('json', s.CreateApiKeyBody),
    async (c) => {
      const body = c.req.valid('json');
      const { key, apiKey } = await createApiKey(c.get('deps'), c.get('actor'), c.req.valid('param').companyId, body?.label ?? null);
      return c.json({ ...presentApiKey(apiKey), key }, 201);
    },
  )
  .get(
    '/companies/:companyId/api-keys',
    describe({ operationId: 'listApiKeys', summary: "List a company's API keys (never their secrets)", tag, security, responses: { 200: { description: 'Keys', schema: s.ApiKeyList } }, errors: [401, 404] }),
    validate('param', CompanyParam),
    async (c) => c.json({ apiKeys: (await listCompanyApiKeys(c.get('deps'), c.req.valid('param').companyId)).map(presentApiKey) }),
  )
  .delete(
    '/companies/:companyId/api-keys/:keyId',
    describe({ operationId: 'revokeApiKey', summary: 'Revoke an API key', tag, security, responses: { 204: { description: 'Revoked' } }, errors: [401, 404] }),
    validate('param', v.object({ ...CompanyParam.entries, keyId: v.pipe(v.string(), v.maxLength(64)) })),
    async (c) => {
      const { companyId, keyId } = c.req.valid('param');
      await revokeCompanyApiKey(c.get('deps'), c.get('actor'), companyId, keyId);
      return c.body(null, 204);
    },
  )
  .post(
    '/companies/:companyId/domain-exceptions',
    describe({
      operationId: 'grantDomainException',
      summary: 'Grant a domain exception: the domain counts as eligible for JIT',
      tag,
      security,
      responses: { 201: { description: 'Granted', schema: s.DomainException } },
      errors: [400, 401, 404, 409, 415],
    }),
    validate('param', CompanyParam),
    validate('json', s.DomainExceptionBody),
    async (c) => {
      const body = c.req.valid('json');
      const actor = c.get('actor');
      const exception = await grantDomainException(c.get('deps'), actor, c.req.valid('param').companyId, {
        domain: body.domain,
        reason: body.reason,
        grantedBy: body.grantedBy ?? actor.id ?? 'operator',
      });
      return c.json(presentDomainException(exception), 201);
    },
  )
  .get(
    '/companies/:companyId/domain-exceptions',
    describe({ operationId: 'listDomainExceptions', summary: 'List domain exceptions', tag, security, responses: { 200: { description: 'Exceptions', schema: s.DomainExceptionList } }, errors: [401, 404] }),
    validate('param', CompanyParam),
    async (c) => {
      const rows = await listCompanyDomainExceptions(c.get('deps'), c.req.valid('param').companyId);
      return c.json({ domainExceptions: rows.map(presentDomainException) });
    },
  )
  .delete(
    '/companies/:companyId/domain-exceptions/:domain',
    describe({ operationId: 'revokeDomainException', summary: 'Revoke a domain exception', tag, security, responses: { 204: { description: 'Revoked' } }, errors: [400, 401, 404] }),
    validate('param', v.object({ ...CompanyParam.entries, domain: v.pipe(v.string(), v.maxLength(253)) })),
    async (c) => {
      const { companyId, domain } = c.req.valid('param');
      await revokeDomainException(c.get('deps'), c.get('actor'), companyId, domain);
      return c.body(null, 204);
    },
  )
  .post(
    '/companies/:companyId/impersonations',
    describe({
      operationId: 'createImpersonation',
      summary: 'Create a support impersonation account (never counts as a confirmed user)',
      tag,
      security,
      responses: { 201: { description: 'Created', schema: s.User } },
      errors: [400, 401, 404, 409, 415],
    }),
    validate('param', CompanyParam),
    validate('json', s.ImpersonationBody),
    async (c) => {
      const user = await createImpersonationAccount(c.get('deps'), c.get('actor'), c.req.valid('param').companyId, c.req.valid('json').email);
      return c.json(presentUser(user, []), 201);
    },
  )
  .post(
    '/companies/:companyId/jit/disable',
    describe({
      operationId: 'disableJit',
      summary: 'Switch automatic user provisioning off (support only)',
      tag,
      security,
      responses: { 200: { description: 'Switched off', schema: s.JitSettings } },
      errors: [400, 401, 404, 415],
    }),
    validate('param', CompanyParam),
    validate('json', s.JitDisableBody),
    async (c) => {
      const body = c.req.valid('json');
      const settings = await disableJitAsSupport(c.get('deps'), c.get('actor'), c.req.valid('param').companyId, body?.reason ?? null);
      return c.json(presentJitSettings(settings));
    },
  );
