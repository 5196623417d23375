/**
 * Security settings for Automatic user provisioning (JIT), and the explain call. Company admins may
 * switch JIT on and change its defaults, never switch it off: only support (the operator) can.
 */
import { decideJit, summariseJitDecision } from '../core/jit.js';
import type { Flow, JitDecisionSummary } from '../core/jit.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import { findPermissionSet, findWorkspace } from '../store/companies.js';
import { hasActiveScimToken } from '../store/directory.js';
import { findJitSettings, upsertJitSettings } from '../store/jit.js';
import type { JitSettingsRow } from '../store/jit.js';
import { findCompanyConnection } from '../store/saml.js';
import { requireCompany } from './companies.js';
import type { ServiceDeps } from './deps.js';
import { gatherJitContext } from './jit-facts.js';
import { ForbiddenError, InvalidInputError } from './errors.js';

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

/** What would happen if `email` signed in now through `flow`: the same module and facts as the ACS. */
export async function explainJit(deps: ServiceDeps, companyId: string, email: string, flow: Flow): Promise<JitDecisionSummary> {
  const samlConfigured = (await findCompanyConnection(deps.db, companyId)) !== null;
  const { settings, facts } = await gatherJitContext(deps.db, companyId, email, samlConfigured);
  return summariseJitDecision(decideJit({ settings, flow, email, facts }));
}
