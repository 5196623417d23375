/**
 * Development demo (never in production, never in the Worker): a company "Decorumsoft (demo)" with a
 * confirmed jon.smith@decorumsoft.com, a SAML connection trusting the built-in test IdP, and JIT on,
 * so that a newcomer sees the seed's rule work in a minute at /dev/idp. The example application
 * (/dev/app) signs in through the bridge's OpenID provider and receives the company's webhooks.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApiKey, createCompany } from '../services/companies.js';
import type { ServiceDeps } from '../services/deps.js';
import { saveJitSettings } from '../services/jit-settings.js';
import { configureSamlConnection } from '../services/saml-connection.js';
import { acceptInvitation, inviteUser } from '../services/users.js';
import { InvalidInputError } from '../services/errors.js';
import { createWebhook, updateWebhook } from '../services/webhooks.js';
import { createPermissionSet, createWorkspace } from '../services/workspaces.js';
import { eq } from 'drizzle-orm';
import { hashSecret, newId, newSecret } from '../crypto.js';
import { findCompany } from '../store/companies.js';
import { findApplication } from '../store/oidc-applications.js';
import { oidcApplications } from '../store/schema.js';
import { findEndpoint } from '../store/webhooks.js';
import type { DemoAppClient } from './demo-app.js';
import type { DemoWebhook } from './demo-webhooks.js';

export interface DemoIdp {
  entityId: string;
  ssoUrl: string;
  privateKeyPem: string;
  certificatePem: string;
}

export interface Demo {
  companyId: string;
  idp: DemoIdp;
  /** The example application's OIDC client (/dev/app). */
  app: DemoAppClient;
  /** The demo company's webhook endpoint, to the example application (null: the bridge refused its URL). */
  webhook: DemoWebhook | null;
}

/** What DATA_DIR/demo.json keeps (mode 0600: it holds the admin API key and two secrets). */
interface DemoState {
  companyId?: string;
  apiKey?: string;
  app?: DemoAppClient;
  webhook?: DemoWebhook | null;
}

const actor = { type: 'system' as const, id: 'demo' };

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** The test IdP's key pair, made once with openssl (Node has no API to issue a certificate) and kept in DATA_DIR. */
async function demoIdpKeys(dataDir: string): Promise<{ privateKeyPem: string; certificatePem: string } | null> {
  const keyPath = join(dataDir, 'demo-idp-key.pem');
  const certPath = join(dataDir, 'demo-idp-cert.pem');
  const [key, cert] = await Promise.all([readOrNull(keyPath), readOrNull(certPath)]);
  if (key && cert) return { privateKeyPem: key, certificatePem: cert };
  await mkdir(dataDir, { recursive: true });
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650', '-subj', '/CN=bridge-demo-idp',
      '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { privateKeyPem: await readFile(keyPath, 'utf8'), certificatePem: await readFile(certPath, 'utf8') };
}

/** Creates the demo once (its id is kept in DATA_DIR/demo.json) and returns it, or null without openssl. */
export async function ensureDemo(deps: ServiceDeps, dataDir: string, log: (msg: string) => void): Promise<Demo | null> {
  const keys = await demoIdpKeys(dataDir);
  if (!keys) {
    log('demo skipped: openssl is needed once to make the test IdP certificate');
    return null;
  }
  const idp: DemoIdp = { entityId: `${deps.publicUrl}/dev/idp`, ssoUrl: `${deps.publicUrl}/dev/idp`, ...keys };
  const statePath = join(dataDir, 'demo.json');
  const saved = await readOrNull(statePath);
  const state = saved ? (JSON.parse(saved) as DemoState) : {};
  const save = (next: DemoState) => writeFile(statePath, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  if (state.companyId && (await findCompany(deps.db, state.companyId))) {
    const app = await ensureDemoApplication(deps, state.app);
    const webhook = await ensureDemoWebhook(deps, state.companyId, state.webhook ?? null, log);
    if (app.clientId !== state.app?.clientId || webhook?.id !== state.webhook?.id) await save({ ...state, app, webhook });
    return { companyId: state.companyId, idp, app, webhook };
  }

  const company = await createCompany(deps, actor, 'Decorumsoft (demo)');
  // Registered first, so the seed's own events (the two invitations accepted) are the first to arrive.
  const webhook = await ensureDemoWebhook(deps, company.id, null, log);
  const workspace = await createWorkspace(deps, actor, company.id, 'Main');
  const members = await createPermissionSet(deps, actor, company.id, { name: 'Members', permissions: ['dashboards:read'] });
  const admins = await createPermissionSet(deps, actor, company.id, { name: 'Admins', permissions: ['admin', 'dashboards:read', 'dashboards:write'] });
  for (const [email, permissionSetId, firstName, lastName] of [
    ['jon.smith@decorumsoft.com', members.id, 'Jon', 'Smith'],
    ['admin@decorumsoft.com', admins.id, 'Ada', 'Admin'],
  ] as const) {
    const invited = await inviteUser(deps, actor, company.id, { email, workspaceId: workspace.id, permissionSetId, firstName, lastName });
    await acceptInvitation(deps, new URL(invited.invitationUrl).pathname.split('/').pop()!);
  }
  await configureSamlConnection(deps, actor, company.id, {
    idp: { idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificatePem] },
  });
  await saveJitSettings(deps, actor, company.id, {
    enabled: true,
    defaultWorkspaceId: workspace.id,
    defaultPermissionSetId: members.id,
    requireDirectoryMembership: false,
  });
  const { key } = await createApiKey(deps, actor, company.id, 'demo');
  const app = await ensureDemoApplication(deps, undefined);
  await save({ companyId: company.id, apiKey: key, app, webhook });
  log(`demo company ${company.id} created; its admin API key is in ${statePath}`);
  return { companyId: company.id, idp, app, webhook };
}

/**
 * The demo company's webhook endpoint to the example application (PUBLIC_URL/dev/app/webhooks): the
 * saved one while it exists (its URL rewritten if PUBLIC_URL changed), else a new one, through the
 * same service as the API (audited). Null, and a log line, when the bridge refuses the URL (e.g. a
 * PUBLIC_URL on a private address): the rest of the demo works without it.
 */
async function ensureDemoWebhook(deps: ServiceDeps, companyId: string, saved: DemoWebhook | null, log: (msg: string) => void): Promise<DemoWebhook | null> {
  const url = `${deps.publicUrl}/dev/app/webhooks`;
  // The demo runs outside production only, where webhooks may use http and loopback (as serviceDeps sets it).
  const devDeps: ServiceDeps = { ...deps, webhookAllowLoopback: true };
  try {
    const existing = saved ? await findEndpoint(deps.db, companyId, saved.id) : null;
    if (saved && existing) {
      if (existing.url !== url) await updateWebhook(devDeps, actor, companyId, saved.id, { url });
      return saved;
    }
    const { endpoint, secret } = await createWebhook(devDeps, actor, companyId, { url, description: 'The example application (/dev/app) lists what it receives' });
    return { id: endpoint.id, secret };
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    log(`demo webhook skipped: ${error.message}`);
    return null;
  }
}

/**
 * The example application's OIDC client: the default application (IdP-initiated sign-ins go to it),
 * its URIs under PUBLIC_URL/dev/app (rewritten at each start, in case PUBLIC_URL changed). Written
 * straight to the table: the demo is a seed, and an operator API call would need the operator token.
 */
async function ensureDemoApplication(deps: ServiceDeps, saved: DemoAppClient | undefined): Promise<DemoAppClient> {
  const base = `${deps.publicUrl}/dev/app`;
  const uris = {
    redirectUris: [`${base}/callback`],
    postLogoutRedirectUris: [base],
    initiateLoginUri: `${base}/login`,
    backchannelLogoutUri: `${base}/backchannel-logout`,
  };
  if (saved && (await findApplication(deps.db, saved.clientId))) {
    await deps.db.update(oidcApplications).set({ ...uris, updatedAt: new Date() }).where(eq(oidcApplications.id, saved.clientId));
    return saved;
  }
  const clientId = newId('app');
  const clientSecret = newSecret();
  await deps.db.transaction(async (tx) => {
    // The demo's application becomes the default unless the operator already chose one.
    const [current] = await tx.select({ id: oidcApplications.id }).from(oidcApplications).where(eq(oidcApplications.isDefault, true)).limit(1);
    await tx.insert(oidcApplications).values({
      id: clientId,
      name: 'Example application (demo)',
      secrets: [{ id: newId('sec'), hash: hashSecret(clientSecret), createdAt: new Date().toISOString() }],
      ...uris,
      isDefault: !current,
    });
  });
  return { clientId, clientSecret };
}
