/**
 * The company the ACS benchmark signs in to, made through the product's own API as an operator and a
 * company admin would: a workspace, a permission set, the SAML connection trusting the bench IdP,
 * a pool of invited-and-confirmed users (the "existing users"), and Automatic user provisioning on
 * with those defaults, so first sign-ins of new addresses at the pool's domain are provisioned (the
 * domain rule: the domain already has a confirmed user of the company).
 */
import { json, OPERATOR_TOKEN } from './lib.js';
import { person } from './saml-shapes.js';
import type { Sp } from './saml-shapes.js';

export interface BenchCompany {
  id: string;
  key: string;
  /** The SP as the connection knows it (entity ID and ACS URL under PUBLIC_URL). */
  sp: Sp;
  /** Path of the ACS to post to. */
  acsPath: string;
  domain: string;
  users: number;
}

export async function setupCompany(base: string, idp: { entityId: string; certificatePem: string }, users: number): Promise<BenchCompany> {
  const company = await json(base, 'POST', '/api/operator/companies', OPERATOR_TOKEN, { name: `ACS bench ${new Date().toISOString()}` });
  const { key } = await json(base, 'POST', `/api/operator/companies/${company.id}/api-keys`, OPERATOR_TOKEN);
  const api = (method: string, path: string, body?: unknown) => json(base, method, `/api/companies/${company.id}${path}`, key, body);
  const ws = await api('POST', '/workspaces', { name: 'Main' });
  const ps = await api('POST', '/permission-sets', { name: 'Members', permissions: [] });
  const saml = await api('PUT', '/saml', { idpEntityId: idp.entityId, ssoUrl: 'https://idp.bench/sso', certificates: [idp.certificatePem] });
  // A domain per company, so runs on the same database never share people.
  const domain = `${String(company.id).toLowerCase().replace(/[^a-z0-9]/g, '')}.bench.example`;

  // Invite and accept, 8 at a time: an invitation accepted is a confirmed, active user.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < users) {
        const p = person(next++, domain);
        const invited = await api('POST', '/users', { email: p.email, workspaceId: ws.id, permissionSetId: ps.id });
        await json(base, 'POST', new URL(invited.invitationUrl).pathname, null);
      }
    }),
  );
  await api('PUT', '/security/jit', { enabled: true, defaultWorkspaceId: ws.id, defaultPermissionSetId: ps.id });
  const sp = { entityId: saml.spEntityId as string, acsUrl: saml.acsUrl as string };
  return { id: company.id, key, sp, acsPath: new URL(sp.acsUrl).pathname, domain, users };
}
