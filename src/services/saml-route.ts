/**
 * What a `/saml/<key>/...` URL names. The key is a connection id (`saml_...`): that connection; or a
 * company id: the company's first connection (the URLs every connection had before connections had ids
 * of their own, kept so configured IdPs do not break).
 */
import type { Company } from '../store/companies.js';
import type { Executor } from '../store/db.js';
import { findSamlRoute } from '../store/saml.js';
import type { SamlConnection } from '../store/saml.js';

export interface SamlRouteTarget {
  company: Company;
  /** Null: the company has no connection (a company-level URL before SAML is set up). */
  connection: SamlConnection | null;
}

const CONNECTION_ID = /^saml_[a-z0-9]{16}$/;

/** The company and connection a SAML route key names, or null when it names nothing. */
export function resolveSamlRoute(db: Executor, key: string): Promise<SamlRouteTarget | null> {
  return findSamlRoute(db, key, CONNECTION_ID.test(key) ? 'connection' : 'company');
}
