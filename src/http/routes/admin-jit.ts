/** Company admin: Security settings > Automatic user provisioning, and the explain call. */
import { Hono } from 'hono';
import { explainJit, getJitSettings, saveJitSettings } from '../../services/jit-settings.js';
import type { AppEnv } from '../env.js';
import { describe } from '../openapi-helpers.js';
import { presentJitSettings } from '../present.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';

const tag = 'Company admin';
/** A company API key, or the session of a signed-in admin (the admin page calls this API with its cookie). */
const security = 'companyAdmin' as const;

export const adminJitRoutes = new Hono<AppEnv>()
  .get(
    '/security/jit',
    describe({ operationId: 'getJitSettings', summary: 'Automatic user provisioning settings', tag, security, responses: { 200: { description: 'Settings', schema: s.JitSettings } }, errors: [401, 404] }),
    async (c) => c.json(presentJitSettings(await getJitSettings(c.get('deps'), c.get('authCompanyId')))),
  )
  .put(
    '/security/jit',
    describe({
      operationId: 'saveJitSettings',
      summary: 'Save automatic user provisioning settings (switching it off answers 403 jit_disable_requires_support)',
      tag,
      security,
      responses: { 200: { description: 'Saved', schema: s.JitSettings }, 403: { description: 'Only support can switch JIT off', schema: s.ErrorBody } },
      errors: [400, 401, 404, 415],
    }),
    validate('json', s.JitSettingsBody),
    async (c) => {
      const saved = await saveJitSettings(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.valid('json'));
      return c.json(presentJitSettings(saved));
    },
  )
  .post(
    '/jit/explain',
    describe({
      operationId: 'explainJitDecision',
      summary: 'What would happen if this email signed in now at a SAML connection (default: the first): {decision, reason, checks, connection}, from the same rules as the ACS',
      tag,
      security,
      responses: { 200: { description: 'Explanation', schema: s.Explanation } },
      errors: [400, 401, 404, 415],
    }),
    validate('json', s.ExplainBody),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await explainJit(c.get('deps'), c.get('authCompanyId'), body.email, body.flow, body.connectionId));
    },
  );
