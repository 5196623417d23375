/** SAML connections, the requests we issued (AuthnRequests, LogoutRequests), and the replay cache of accepted assertions. */
import { and, asc, desc, eq, getTableColumns, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { AnyColumn } from 'drizzle-orm';
import type { Executor } from './db.js';
import { companies, samlConnections, samlReplayCache, samlRequests, sessions } from './schema.js';
import type { Company } from './companies.js';
import { rowCodec, run, statement } from './statements.js';

export type SamlConnection = typeof samlConnections.$inferSelect;
export type SamlConnectionInsert = Omit<typeof samlConnections.$inferInsert, 'updatedAt' | 'createdAt'>;
export type SamlConnectionPatch = Partial<Omit<SamlConnectionInsert, 'id' | 'companyId'>>;

/** The company's first connection: the one at its company-level URLs, else the oldest; what `/saml/<companyId>/...` and `PUT …/saml` mean. */
export async function findCompanyConnection(db: Executor, companyId: string): Promise<SamlConnection | null> {
  const [row] = await db
    .select()
    .from(samlConnections)
    .where(eq(samlConnections.companyId, companyId))
    .orderBy(desc(samlConnections.companyUrls), asc(samlConnections.createdAt), asc(samlConnections.id))
    .limit(1);
  return row ?? null;
}

const companyCodec = rowCodec<Company>(getTableColumns(companies));
const connectionCodec = rowCodec<SamlConnection>(getTableColumns(samlConnections));
const companyWidth = Object.keys(getTableColumns(companies)).length;
const routeRow = (row: unknown[]) => ({
  company: companyCodec.decode(row, 0),
  connection: row[companyWidth] === null || row[companyWidth] === undefined ? null : connectionCodec.decode(row, companyWidth),
});
/** Prepared once (statements.ts): it runs on every sign-in. */
const ROUTE_BY_CONNECTION = statement(
  'saml_route_by_connection_v1',
  sql`select ${companyCodec.select('co')}, ${connectionCodec.select('sc')}
    from saml_connections sc join companies co on co.id = sc.company_id
    where sc.id = ${sql.placeholder('key')} limit 1`,
  routeRow,
);
/** The company's first connection as findCompanyConnection orders them. */
const ROUTE_BY_COMPANY = statement(
  'saml_route_by_company_v1',
  sql`select ${companyCodec.select('co')}, ${connectionCodec.select('sc')}
    from companies co left join saml_connections sc on sc.company_id = co.id
    where co.id = ${sql.placeholder('key')}
    order by sc.company_urls desc, sc.created_at asc, sc.id asc limit 1`,
  routeRow,
);

/**
 * What a `/saml/<key>/…` URL names, in one statement (it is on every sign-in): by a connection id,
 * that connection and its company; by a company id, the company and its first connection (as
 * findCompanyConnection orders them), or none. Null when the key names nothing.
 */
export async function findSamlRoute(
  db: Executor,
  key: string,
  by: 'connection' | 'company',
): Promise<{ company: Company; connection: SamlConnection | null } | null> {
  const [row] = await run(db, by === 'connection' ? ROUTE_BY_CONNECTION : ROUTE_BY_COMPANY, { key });
  return row ?? null;
}

/** A connection by its own id, of any company (the IdP-facing routes carry only the connection id). */
export async function findConnectionById(db: Executor, connectionId: string): Promise<SamlConnection | null> {
  const [row] = await db.select().from(samlConnections).where(eq(samlConnections.id, connectionId)).limit(1);
  return row ?? null;
}

/** A connection of this company (another company's id is not found). */
export async function findCompanyConnectionById(db: Executor, companyId: string, connectionId: string): Promise<SamlConnection | null> {
  const [row] = await db
    .select()
    .from(samlConnections)
    .where(and(eq(samlConnections.companyId, companyId), eq(samlConnections.id, connectionId)))
    .limit(1);
  return row ?? null;
}

/** The company's connections, the first one first. */
export async function listCompanyConnections(db: Executor, companyId: string): Promise<SamlConnection[]> {
  return db
    .select()
    .from(samlConnections)
    .where(eq(samlConnections.companyId, companyId))
    .orderBy(desc(samlConnections.companyUrls), asc(samlConnections.createdAt), asc(samlConnections.id));
}

/** Inserts a connection; null when the company already has one for this IdP entity ID. */
export async function insertSamlConnection(db: Executor, input: SamlConnectionInsert, at: Date): Promise<SamlConnection | null> {
  const rows = await db
    .insert(samlConnections)
    .values({ ...input, createdAt: at, updatedAt: at })
    .onConflictDoNothing({ target: [samlConnections.companyId, samlConnections.idpEntityId] })
    .returning();
  return rows[0] ?? null;
}

/** Updates one connection of the company; null when it does not exist. A duplicate IdP entity ID raises the unique violation. */
export async function updateSamlConnection(
  db: Executor,
  companyId: string,
  connectionId: string,
  patch: SamlConnectionPatch,
  at: Date,
): Promise<SamlConnection | null> {
  const [row] = await db
    .update(samlConnections)
    .set({ ...patch, updatedAt: at })
    .where(and(eq(samlConnections.companyId, companyId), eq(samlConnections.id, connectionId)))
    .returning();
  return row ?? null;
}

/** Another connection of the company already trusts this IdP entity ID. */
export async function idpEntityIdTaken(db: Executor, companyId: string, idpEntityId: string, exceptId: string | null): Promise<boolean> {
  const [row] = await db
    .select({ id: samlConnections.id })
    .from(samlConnections)
    .where(and(eq(samlConnections.companyId, companyId), eq(samlConnections.idpEntityId, idpEntityId)))
    .limit(1);
  return row !== undefined && row.id !== exceptId;
}

export async function deleteSamlConnection(db: Executor, companyId: string, connectionId: string): Promise<SamlConnection | null> {
  const [row] = await db
    .delete(samlConnections)
    .where(and(eq(samlConnections.companyId, companyId), eq(samlConnections.id, connectionId)))
    .returning();
  return row ?? null;
}

/** Every connection with a sealed SP key (encryption or signing): what a re-seal after a SESSION_SECRET rotation walks. */
export async function listSealedSpKeys(
  db: Executor,
): Promise<{ companyId: string; connectionId: string; encryption: string | null; signing: string | null }[]> {
  return db
    .select({
      companyId: samlConnections.companyId,
      connectionId: samlConnections.id,
      encryption: samlConnections.spEncryptionKeySealed,
      signing: samlConnections.spSigningKeySealed,
    })
    .from(samlConnections)
    .where(or(isNotNull(samlConnections.spEncryptionKeySealed), isNotNull(samlConnections.spSigningKeySealed)))
    .orderBy(samlConnections.companyId, samlConnections.id);
}

/** Replaces a sealed key only if it is still the one read (a concurrent save of a new key wins). */
export async function replaceSealedSpKey(
  db: Executor,
  connectionId: string,
  column: 'encryption' | 'signing',
  expected: string,
  sealed: string,
): Promise<boolean> {
  const target = column === 'encryption' ? samlConnections.spEncryptionKeySealed : samlConnections.spSigningKeySealed;
  const rows = await db
    .update(samlConnections)
    .set(column === 'encryption' ? { spEncryptionKeySealed: sealed } : { spSigningKeySealed: sealed })
    .where(and(eq(samlConnections.id, connectionId), eq(target, expected)))
    .returning({ id: samlConnections.id });
  return rows.length === 1;
}

/** What the certificate expiry check reads of a connection. */
export interface ConnectionCertificates {
  id: string;
  companyId: string;
  name: string;
  certificates: string[];
  certificateWarnings: Record<string, number>;
}

/** Up to `limit` connections after `afterId`, in id order (keyset batches; optionally one company's). */
export async function listConnectionCertificates(
  db: Executor,
  page: { afterId: string | null; limit: number; companyId?: string | undefined },
): Promise<ConnectionCertificates[]> {
  return db
    .select({
      id: samlConnections.id,
      companyId: samlConnections.companyId,
      name: samlConnections.name,
      certificates: samlConnections.certificates,
      certificateWarnings: samlConnections.certificateWarnings,
    })
    .from(samlConnections)
    .where(
      and(
        page.afterId === null ? undefined : gt(samlConnections.id, page.afterId),
        page.companyId === undefined ? undefined : eq(samlConnections.companyId, page.companyId),
      ),
    )
    .orderBy(asc(samlConnections.id))
    .limit(page.limit);
}

/**
 * Records that the warning for `threshold` days was given for this certificate, unless this or a
 * later (smaller) one already was: one conditional statement, so of several instances running the
 * check at once exactly one gets true (the others wait on the row lock and then see the new value).
 */
export async function claimCertificateWarning(db: Executor, connectionId: string, fingerprint: string, threshold: number): Promise<boolean> {
  const recorded = sql`(${samlConnections.certificateWarnings} ->> ${fingerprint})`;
  const rows = await db
    .update(samlConnections)
    .set({ certificateWarnings: sql`${samlConnections.certificateWarnings} || jsonb_build_object(${fingerprint}::text, ${threshold}::int)` })
    .where(and(eq(samlConnections.id, connectionId), or(sql`${recorded} is null`, sql`${recorded}::int > ${threshold}::int`)))
    .returning({ id: samlConnections.id });
  return rows.length === 1;
}

export async function insertSamlRequest(
  db: Executor,
  request: { id: string; companyId: string; connectionId: string; kind?: 'authn' | 'logout'; relayState: string | null; browserBinding: string | null; expiresAt: Date },
): Promise<void> {
  await db.insert(samlRequests).values(request);
}

/**
 * Consumes the request a response claims to answer: it must be ours, of this kind, sent for this
 * connection, unused and unexpired. One statement, so two responses racing for the same request
 * cannot both win.
 */
export async function consumeSamlRequest(
  db: Executor,
  target: { companyId: string; connectionId: string; kind: 'authn' | 'logout' },
  requestId: string,
  now: Date,
): Promise<{ relayState: string | null; browserBinding: string | null } | null> {
  const [row] = await db
    .update(samlRequests)
    .set({ usedAt: now })
    .where(
      and(
        eq(samlRequests.id, requestId),
        eq(samlRequests.companyId, target.companyId),
        eq(samlRequests.connectionId, target.connectionId),
        eq(samlRequests.kind, target.kind),
        isNull(samlRequests.usedAt),
        gt(samlRequests.expiresAt, now),
      ),
    )
    .returning({ relayState: samlRequests.relayState, browserBinding: samlRequests.browserBinding });
  return row ?? null;
}

/**
 * Records an accepted assertion ID; false when it was seen before (a replay), on any instance:
 * the primary key decides, not process memory.
 */
export async function rememberAssertion(
  db: Executor,
  entry: { companyId: string; connectionId: string; assertionId: string; expiresAt: Date },
): Promise<boolean> {
  const rows = await db
    .insert(samlReplayCache)
    .values(entry)
    .onConflictDoNothing()
    .returning({ id: samlReplayCache.assertionId });
  return rows.length === 1;
}

/**
 * Deletes replay-cache entries, AuthnRequests and sessions that can no longer matter: up to `max` rows
 * of each (a bounded sweep, cheap enough to run as sign-ins go by), of every company or of one.
 */
export async function purgeExpiredSamlState(
  db: Executor,
  now: Date,
  options: { max: number; companyId?: string | undefined },
): Promise<{ assertions: number; requests: number; sessions: number }> {
  const expired = <T extends { companyId: AnyColumn; expiresAt: AnyColumn }>(table: T) =>
    options.companyId === undefined ? lt(table.expiresAt, now) : and(lt(table.expiresAt, now), eq(table.companyId, options.companyId));
  const replayKeys = db
    .select({ companyId: samlReplayCache.companyId, assertionId: samlReplayCache.assertionId })
    .from(samlReplayCache)
    .where(expired(samlReplayCache))
    .limit(options.max);
  const assertions = await db
    .delete(samlReplayCache)
    .where(inArray(sql`(${samlReplayCache.companyId}, ${samlReplayCache.assertionId})`, replayKeys))
    .returning({ id: samlReplayCache.assertionId });
  const requestKeys = db.select({ companyId: samlRequests.companyId, id: samlRequests.id }).from(samlRequests).where(expired(samlRequests)).limit(options.max);
  const requests = await db
    .delete(samlRequests)
    .where(inArray(sql`(${samlRequests.companyId}, ${samlRequests.id})`, requestKeys))
    .returning({ id: samlRequests.id });
  const sessionIds = db.select({ id: sessions.id }).from(sessions).where(expired(sessions)).limit(options.max);
  const ended = await db.delete(sessions).where(inArray(sessions.id, sessionIds)).returning({ id: sessions.id });
  return { assertions: assertions.length, requests: requests.length, sessions: ended.length };
}
