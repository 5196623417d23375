/**
 * Security settings for Automatic user provisioning (JIT), and the explain call. Company admins may
 * switch JIT on and change its defaults, never switch it off: only support (the operator) can.
 */
import { decideJit, summariseJitDecision } from '../core/jit.js';
import type { Flow, JitCheck, JitDecisionSummary } from '../core/jit.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import { findPermissionSet, findWorkspace } from '../store/companies.js';
import { hasActiveScimToken } from '../store/directory.js';
import { findJitSettings, upsertJitSettings } from '../store/jit.js';
import type { JitSettingsRow } from '../store/jit.js';
import { findCompanyConnection, findCompanyConnectionById } from '../store/saml.js';
import { requireCompany } from './companies.js';
import type { ServiceDeps } from './deps.js';
import { gatherJitContext } from './jit-facts.js';
import { connectionRefusal } from './saml-connection.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from './errors.js';

export interface JitSettingsView {
  enabled: boolean;
  defaultWorkspaceId: string | null;
  defaultPermissionSetId: string | null;
  requireDirectoryMembership: boolean;
  updatedAt: Date | null;
}

const OFF: JitSettingsView = { enabled: false, defaultWorkspaceId: null, defaultPermissionSetId: null, requireDirectoryMembership: false, updatedAt: null };

function view(row: JitSettingsRow | null): JitSettingsView {
  return row
    ? {
        enabled: row.enabled,
        defaultWorkspaceId: row.defaultWorkspaceId,
        defaultPermissionSetId: row.defaultPermissionSetId,
        requireDirectoryMembership: row.requireDirectoryMembership,
        updatedAt: row.updatedAt,
      }
    : OFF;
}

export async function getJitSettings(deps: ServiceDeps, companyId: string): Promise<JitSettingsView> {
  return view(await findJitSettings(deps.db, companyId));
}

export interface JitSettingsInput {
  enabled: boolean;
  defaultWorkspaceId: string | null;
  defaultPermissionSetId: string | null;
  requireDirectoryMembership: boolean;
}

/** The admin's "Save changes": refused unless SAML is set up and both defaults belong to the company. */
export async function saveJitSettings(deps: ServiceDeps, actor: Actor, companyId: string, input: JitSettingsInput): Promise<JitSettingsView> {
  return deps.db.transaction(async (tx) => {
    const current = view(await findJitSettings(tx, companyId));
    if (current.enabled && !input.enabled) {
      throw new ForbiddenError(
        'jit_disable_requires_support',
        'Automatic user provisioning can only be switched off by support. Contact support to disable it.',
      );
    }
    if (input.requireDirectoryMembership && !(await hasActiveScimToken(tx, companyId))) {
      throw new InvalidInputError(
        'directory_sync_not_configured',
        'Directory membership cannot be required: directory sync (SCIM) is not set up for this company. Create a SCIM token and connect your IdP first.',
      );
    }
    if (input.enabled) {
      if (!(await findCompanyConnection(tx, companyId))) {
        throw new InvalidInputError('saml_not_configured', 'Set up SAML single sign-on before switching on automatic user provisioning.');
      }
      if (!input.defaultWorkspaceId || !input.defaultPermissionSetId) {
        throw new InvalidInputError('jit_defaults_required', 'Choose a default workspace and a default permission set.');
      }
    }
    if (input.defaultWorkspaceId && !(await findWorkspace(tx, companyId, input.defaultWorkspaceId))) {
      throw new InvalidInputError('unknown_workspace', `No workspace ${input.defaultWorkspaceId} in this company.`);
    }
    if (input.defaultPermissionSetId && !(await findPermissionSet(tx, companyId, input.defaultPermissionSetId))) {
      throw new InvalidInputError('unknown_permission_set', `No permission set ${input.defaultPermissionSetId} in this company.`);
    }
    const row = await upsertJitSettings(tx, { companyId, ...input }, deps.now());
    await recordAudit(tx, {
      companyId,
      actor,
      action: 'jit_settings.updated',
      targetType: 'jit_settings',
      targetId: companyId,
      data: { before: { ...current, updatedAt: undefined }, after: input },
    });
    return view(row);
  });
}

/** Support switches JIT off (the only way it goes off). */
export async function disableJitAsSupport(deps: ServiceDeps, actor: Actor, companyId: string, reason: string | null): Promise<JitSettingsView> {
  await requireCompany(deps, companyId);
  return deps.db.transaction(async (tx) => {
    const current = view(await findJitSettings(tx, companyId));
    const row = await upsertJitSettings(
      tx,
      {
        companyId,
        enabled: false,
        defaultWorkspaceId: current.defaultWorkspaceId,
        defaultPermissionSetId: current.defaultPermissionSetId,
        requireDirectoryMembership: current.requireDirectoryMembership,
      },
      deps.now(),
    );
    await recordAudit(tx, {
      companyId,
      actor,
      action: 'jit.disabled_by_support',
      targetType: 'jit_settings',
      targetId: companyId,
      ...(reason ? { reason } : {}),
      data: { wasEnabled: current.enabled },
    });
    return view(row);
  });
}

/** The connection an explanation is about: what the ACS checks of it before the JIT rules. */
export interface ExplainedConnection {
  id: string;
  name: string;
  enabled: boolean;
  idpInitiatedAllowed: boolean;
}

export interface JitExplanation {
  decision: JitDecisionSummary['decision'];
  /** A JIT refusal, or the connection's own (connection_disabled, idp_initiated_disabled) when it refuses first. */
  reason: string | null;
  /** The JIT checks; `connection` first when the connection refuses, and then the JIT checks are skipped. */
  checks: { check: string; outcome: JitCheck['outcome']; detail: string }[];
  connection: ExplainedConnection | null;
}

/**
 * What would happen if `email` signed in now through `flow` at a connection (`connectionId`, else the
 * company's first): the same module and facts as the ACS, after what the ACS checks of the connection.
 */
export async function explainJit(deps: ServiceDeps, companyId: string, email: string, flow: Flow, connectionId?: string): Promise<JitExplanation> {
  const connection =
    connectionId === undefined ? await findCompanyConnection(deps.db, companyId) : await findCompanyConnectionById(deps.db, companyId, connectionId);
  if (connectionId !== undefined && !connection) throw new NotFoundError('not_found', 'No such SAML connection in this company.');
  const { settings, facts } = await gatherJitContext(deps.db, companyId, email, connection !== null);
  const summary = summariseJitDecision(decideJit({ settings, flow, email, facts }));
  const described = connection
    ? { id: connection.id, name: connection.name, enabled: connection.enabled, idpInitiatedAllowed: connection.idpInitiatedAllowed }
    : null;
  const refusal = connection ? connectionRefusal(connection, flow) : null;
  if (!refusal) return { ...summary, connection: described };
  return {
    decision: 'refuse',
    reason: refusal.reason,
    checks: [
      { check: 'connection', outcome: 'failed', detail: refusal.detail },
      ...summary.checks.map((c) => ({ check: c.check, outcome: 'skipped' as const, detail: `Not reached: the SAML connection refuses first. (${c.detail})` })),
    ],
    connection: described,
  };
}
