/**
 * A bounded, repeatable fuzz run over the API, SCIM and the ACS: a fixed seed drives a few thousand
 * requests mixing well-formed writes with hostile text (lone surrogates, NULs, case-folding traps,
 * invisible characters, huge strings), malformed filters and mutated signed SAML responses.
 * Two invariants: no answer is a 5xx (or a stack trace), and every write we were told succeeded
 * (2xx with an id) reads back as acknowledged at the end: nothing acknowledged is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { asOperator, call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, idpInitiated, me, postAcs } from '../support/saml.js';
import { scim, scimToken } from '../support/scim.js';
import { createTestIdp, toBase64 } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';
import { DOMAIN, XML_MUTATIONS, email, formEncode, prng, scimFilter, text } from '../support/fuzz-inputs.js';

const SEED = 0x5eed_0009;
const REQUESTS = 2000;

interface Problems {
  list: string[];
  add(what: string): void;
}

describe(`fuzz: ${REQUESTS} seeded requests over API, SCIM and ACS (seed ${SEED.toString(16)})`, () => {
  let handle: DatabaseHandle;
  let app: TestApp;
  let company: TestCompany;
  let idp: TestIdp;
  let scimBase: string;
  let scimBearer: string;
  const now = new Date();

  beforeAll(async () => {
    handle = await openTestDatabase();
    app = makeApp(handle, { now: () => now });
    company = await setupCompany(app, 'Fuzz Corp');
    idp = createTestIdp({ entityId: 'https://idp.fuzz.example/metadata' });
    await configureSaml(app, company, idp);
    // The domain is allowed by a support exception, so well-formed sign-ins provision accounts.
    const exception = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/domain-exceptions`, {
      body: { domain: DOMAIN, reason: 'fuzz run' },
    });
    expect(exception.status, exception.text).toBe(201);
    const jit = await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
    });
    expect(jit.status, jit.text).toBe(200);
    ({ token: scimBearer, base: scimBase } = await scimToken(app, company));
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('answers no 5xx and loses no acknowledged write', { timeout: 600_000 }, async () => {
    const rng = prng(SEED);
    const problems: Problems = { list: [], add: (what) => problems.list.length < 50 && problems.list.push(what) };
    const workspaces = new Map<string, string>();
    const permissionSets = new Map<string, string>();
    const invited = new Map<string, string>();
    const scimUsers = new Map<string, { userName: string; active: boolean; deleted: boolean }>();
    const scimGroups = new Map<string, string>();
    const sessions: { cookie: string; email: string }[] = [];
    let statuses = new Map<number, number>();

    const check = (label: string, status: number, body: string, headers: Headers) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500 || /\bat \w+ \(|node_modules|\.ts:\d+/.test(body)) problems.add(`${label} -> ${status} ${body.slice(0, 160)}`);
      const type = headers.get('Content-Type') ?? '';
      if (status >= 400 && label.includes(' /scim/') && !type.includes('application/scim+json')) problems.add(`${label}: SCIM error not in SCIM form (${type})`);
    };
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await call(app, method, path, { token: company.key, ...(body !== undefined ? { body: body as Record<string, unknown> } : {}) });
      check(`${method} ${path}`, res.status, res.text, res.headers);
      return res;
    };
    const scimCall = async (method: string, path: string, body?: unknown) => {
      const res = await scim(app, scimBearer, method, `${scimBase}${path}`, body);
      check(`${method} ${scimBase}${path}`, res.status, res.text, res.headers);
      return res;
    };
    const knownUserId = () => (scimUsers.size && rng.chance(0.8) ? rng.pick([...scimUsers.keys()]) : rng.pick(['nope', '../x', '%00', 'a'.repeat(300)]));

    const operations: [number, () => Promise<void>][] = [
      [
        6,
        async () => {
          const name = text(rng);
          const res = await api('POST', `/api/companies/${company.id}/workspaces`, { name });
          if (res.status === 201) workspaces.set(res.json.id, res.json.name);
        },
      ],
      [
        4,
        async () => {
          const name = text(rng);
          const res = await api('POST', `/api/companies/${company.id}/permission-sets`, { name, permissions: rng.chance(0.8) ? ['dashboards:read'] : [text(rng, 0)] });
          if (res.status === 201) permissionSets.set(res.json.id, res.json.name);
        },
      ],
      [
        8,
        async () => {
          const address = email(rng);
          const res = await api('POST', `/api/companies/${company.id}/users`, {
            email: address,
            workspaceId: rng.chance(0.9) ? company.workspaceId : text(rng, 0),
            permissionSetId: company.permissionSetId,
          });
          if (res.status === 201) invited.set(res.json.id, res.json.email);
        },
      ],
      [
        6,
        async () => {
          await api('POST', `/api/companies/${company.id}/jit/explain`, { email: email(rng), flow: rng.pick(['idp_initiated', 'sp_initiated', text(rng, 0)]) });
        },
      ],
      [
        2,
        async () => {
          // JIT stays on; only the defaults vary, sometimes to ids that do not exist.
          await api('PUT', `/api/companies/${company.id}/security/jit`, {
            enabled: true,
            defaultWorkspaceId: rng.chance(0.8) ? company.workspaceId : text(rng, 0),
            defaultPermissionSetId: company.permissionSetId,
          });
        },
      ],
      [
        14,
        async () => {
          const userName = email(rng);
          const body: Record<string, unknown> = {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName,
            displayName: text(rng),
            active: rng.chance(0.8),
            emails: [{ value: rng.chance(0.8) ? userName : text(rng, 0), primary: true }],
            name: { givenName: text(rng), familyName: text(rng) },
            externalId: rng.chance(0.5) ? text(rng) : undefined,
          };
          const res = await scimCall('POST', '/Users', body);
          if (res.status === 201) scimUsers.set(res.json.id, { userName: res.json.userName, active: res.json.active, deleted: false });
        },
      ],
      [
        10,
        async () => {
          const id = knownUserId();
          const active = rng.chance(0.5);
          const op = rng.pick([
            { op: 'replace', value: { active } },
            { op: 'replace', path: 'active', value: active },
            { op: 'replace', path: 'displayName', value: text(rng) },
            { op: rng.pick(['add', 'remove', 'bogus']), path: rng.pick(['emails[type eq "work"].value', 'name.givenName', 'x[', text(rng, 0)]), value: text(rng) },
          ]);
          const res = await scimCall('PATCH', `/Users/${encodeURIComponent(id)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [op] });
          const known = scimUsers.get(id);
          if (res.status === 200 && known) known.active = res.json.active;
        },
      ],
      [
        3,
        async () => {
          const id = knownUserId();
          const res = await scimCall('DELETE', `/Users/${encodeURIComponent(id)}`);
          const known = scimUsers.get(id);
          if (res.status === 204 && known) known.deleted = true;
        },
      ],
      [
        12,
        async () => {
          const path = rng.pick(['/Users', '/Groups']);
          const query = new URLSearchParams({ filter: scimFilter(rng) });
          if (rng.chance(0.3)) query.set('startIndex', rng.pick(['0', '-1', '1', '99999999999', 'x']));
          if (rng.chance(0.3)) query.set('count', rng.pick(['0', '-5', '10', '1e9', 'x']));
          await scimCall('GET', `${path}?${query}`);
        },
      ],
      [
        5,
        async () => {
          const members = scimUsers.size ? Array.from({ length: rng.int(5) }, () => ({ value: knownUserId() })) : [];
          const res = await scimCall('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: text(rng), members });
          if (res.status === 201) scimGroups.set(res.json.id, res.json.displayName);
        },
      ],
      [
        5,
        async () => {
          const body = rng.pick(['{', '[]', 'null', '{"schemas":"x"}', '{"userName":"\\ud800"}', '{"userName":"a\\u0000b"}', JSON.stringify({ userName: 'x'.repeat(20_000) })]);
          const res = await app.request(`${scimBase}/Users`, {
            method: rng.pick(['POST', 'PUT']),
            headers: { Authorization: `Bearer ${scimBearer}`, 'Content-Type': 'application/scim+json' },
            body,
          });
          check(`RAW ${scimBase}/Users`, res.status, await res.text(), res.headers);
        },
      ],
      [
        14,
        async () => {
          // A signed response for a random person, sometimes mutated after signing.
          const nameId = email(rng);
          const attributes: Record<string, string | string[]> = { email: nameId, firstName: text(rng, 0.5, 0), groups: [text(rng, 0.5, 0), text(rng, 0.5, 0)] };
          let xml: string;
          try {
            xml = Buffer.from(idpInitiated(idp, company.id, nameId, now, { attributes }), 'base64').toString('utf8');
          } catch {
            return; // the test IdP itself cannot sign some hostile text: nothing was sent
          }
          const mutated = rng.chance(0.6);
          if (mutated) xml = rng.pick(XML_MUTATIONS)(xml, rng);
          const res = await postAcs(app, company.id, toBase64(xml));
          check(`POST /saml/${company.id}/acs`, res.status, res.html, new Headers());
          if (res.status === 303 && res.cookie) sessions.push({ cookie: res.cookie, email: nameId });
        },
      ],
      [
        5,
        async () => {
          const body = rng.pick([
            `SAMLResponse=${formEncode(toBase64(text(rng, 0)))}`,
            'SAMLResponse=%ZZ',
            `SAMLResponse=${'A'.repeat(rng.int(5000))}`,
            `RelayState=${formEncode(text(rng, 0))}`,
            '',
          ]);
          const res = await app.request(`/saml/${company.id}/acs`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
          check(`POST /saml/${company.id}/acs (garbage)`, res.status, await res.text(), res.headers);
        },
      ],
    ];
    const totalWeight = operations.reduce((sum, [weight]) => sum + weight, 0);
    const choose = () => {
      let roll = rng.int(totalWeight);
      for (const [weight, run] of operations) {
        if (roll < weight) return run;
        roll -= weight;
      }
      return operations[0]![1];
    };

    for (let i = 0; i < REQUESTS; i += 1) await choose()();

    // Every acknowledged write reads back.
    const listedWorkspaces = await api('GET', `/api/companies/${company.id}/workspaces`);
    const workspaceNames = new Map<string, string>(listedWorkspaces.json.workspaces.map((w: { id: string; name: string }) => [w.id, w.name]));
    for (const [id, name] of workspaces) if (workspaceNames.get(id) !== name) problems.add(`workspace ${id} lost or changed`);
    const listedSets = await api('GET', `/api/companies/${company.id}/permission-sets`);
    const setNames = new Map<string, string>(listedSets.json.permissionSets.map((p: { id: string; name: string }) => [p.id, p.name]));
    for (const [id, name] of permissionSets) if (setNames.get(id) !== name) problems.add(`permission set ${id} lost or changed`);
    const users = new Map<string, string>();
    for (let cursor: string | null = null, pages = 0; pages < 1000; pages += 1) {
      const page = await api('GET', `/api/companies/${company.id}/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const u of page.json.users as { id: string; email: string }[]) users.set(u.id, u.email);
      cursor = page.json.nextCursor;
      if (!cursor) break;
    }
    for (const [id, address] of invited) if (users.get(id) !== address) problems.add(`invited user ${id} lost or changed`);
    for (const [id, known] of scimUsers) {
      const res = await scimCall('GET', `/Users/${id}`);
      if (known.deleted) {
        if (res.status !== 404) problems.add(`SCIM user ${id} deleted but answers ${res.status}`);
      } else if (res.status !== 200 || res.json.userName !== known.userName || res.json.active !== known.active) {
        problems.add(`SCIM user ${id} lost or changed: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    for (const [id, displayName] of scimGroups) {
      const res = await scimCall('GET', `/Groups/${id}`);
      if (res.status !== 200 || res.json.displayName !== displayName) problems.add(`SCIM group ${id} lost or changed: ${res.status}`);
    }
    for (const session of sessions) {
      const res = await me(app, session.cookie);
      // A later deactivation or deletion in the directory may have ended it; otherwise it must answer as that person.
      if (res.status === 200 && typeof res.json?.user?.email !== 'string') problems.add(`session for ${session.email}: ${res.text.slice(0, 120)}`);
      if (res.status >= 500) problems.add(`GET /api/me -> ${res.status}`);
    }

    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ');
    console.log(
      `fuzz seed ${SEED.toString(16)}: ${summary}; acknowledged ${workspaces.size} workspaces, ${permissionSets.size} permission sets, ${invited.size} invitations, ${scimUsers.size} SCIM users, ${scimGroups.size} groups, ${sessions.length} sign-ins`,
    );
    statuses = new Map();
    expect(problems.list).toEqual([]);
    // The run must have exercised both outcomes on each surface, or it proves nothing.
    expect(workspaces.size).toBeGreaterThan(10);
    expect(scimUsers.size).toBeGreaterThan(50);
    expect(sessions.length).toBeGreaterThan(10);
  });
});
