/** The Hono environment shared by every route: per-request dependencies and the authenticated caller. */
import type { AppConfig } from '../config.js';
import type { ServiceDeps } from '../services/deps.js';
import type { Actor } from '../store/audit.js';

export interface AppVariables {
  deps: ServiceDeps;
  config: AppConfig;
  requestId: string;
  /** Set by the operator or admin guard. */
  actor: Actor;
  /** The company an admin credential belongs to. */
  authCompanyId: string;
}

export interface AppEnv {
  Variables: AppVariables;
  Bindings: Record<string, unknown>;
}
