/**
 * The built-in test IdP (development only): pick who you are, and it posts a real signed SAML Response
 * to the demo company's ACS, IdP-initiated; it also answers SP-initiated AuthnRequests. It signs for
 * whatever email is typed: that is the point of a test IdP, and why it never runs in production.
 */
import { Hono } from 'hono';
import { inflateRawSync } from 'node:zlib';
import type { AppEnv } from '../http/env.js';
import { companySpUrls } from '../services/sp-keys.js';
import type { Demo } from './demo.js';
import { devPage } from './page.js';
import { signDevResponse } from './sign-response.js';

const CSS = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}
input,button{font:inherit;padding:.3rem .5rem;max-width:100%;box-sizing:border-box}
code{background:#eef1f4;padding:0 .25rem;border-radius:4px;overflow-wrap:anywhere}
p,li{overflow-wrap:break-word}
.note{color:#57606a;font-size:.9rem}
ul.people{list-style:none;padding:0;margin:1rem 0}
ul.people li{border:1px solid #d0d7de;border-radius:8px;padding:.6rem .9rem;margin:.6rem 0}
ul.people form{margin:.4rem 0 0}
.who{font-weight:600}`;

const page = (title: string, body: unknown) => devPage(title, CSS, body);

/** The demo's people (see ./demo.ts), and what signing in as each of them shows. */
const PEOPLE: readonly { email: string; role: string; shows: string }[] = [
  {
    email: 'jon.smith@decorumsoft.com',
    role: 'Confirmed user',
    shows:
      'He accepted his invitation, so he signs in to his existing account (workspace Main, permission set Members). ' +
      'He is also the confirmed user who makes @decorumsoft.com eligible for automatic provisioning.',
  },
  {
    email: 'jane.smith@decorumsoft.com',
    role: 'Just-in-time provisioning',
    shows:
      'She has no account yet. Her domain already has a confirmed user and JIT is on, so her first IdP-initiated sign-in ' +
      'creates her account in the defaults, and the landing page says it was just created. Later sign-ins just sign her in.',
  },
  {
    email: 'jon.smith@decorumsoft.eu',
    role: 'Refused',
    shows:
      'No confirmed user of the company has an @decorumsoft.eu address, so that domain is not eligible for an automatic account: ' +
      'the refusal page names the reason (domain_not_eligible) and what to tell the admin.',
  },
  {
    email: 'admin@decorumsoft.com',
    role: 'The company admin',
    shows:
      'Her permission set (Admins) holds admin, so the landing page links the admin page (/admin): automatic provisioning, ' +
      'SAML setup, directory sync, explain a sign-in and the audit log.',
  },
];

/** The ID of an HTTP-Redirect AuthnRequest, when it is one (deflated, base64). */
function requestIdOf(samlRequest: string | undefined): string | null {
  if (!samlRequest || samlRequest.length > 8192) return null;
  try {
    const xml = inflateRawSync(Buffer.from(samlRequest, 'base64'), { maxOutputLength: 65536 }).toString('utf8');
    return /<(?:\w+:)?AuthnRequest\b[^>]*\sID="([A-Za-z_][\w.-]{0,127})"/.exec(xml)?.[1] ?? null;
  } catch {
    return null;
  }
}

export function devIdpRoutes(demo: Demo) {
  return new Hono<AppEnv>()
    .get('/dev/idp', (c) => {
      const requestId = requestIdOf(c.req.query('SAMLRequest'));
      const relayState = c.req.query('RelayState') ?? '';
      return c.html(
        page(
          'Test identity provider',
          <>
            <h1>Test identity provider</h1>
            <p>
              Sign in to <strong>Decorumsoft (demo)</strong> as anyone: this page signs a real SAML Response for the email you choose and
              your browser posts it to the company’s ACS, as an identity provider’s portal does.
            </p>
            <h2>The demo’s people</h2>
            <ul class="people">
              {PEOPLE.map((p) => (
                <li>
                  <span class="who">{p.role}:</span> <code>{p.email}</code>
                  <br />
                  {p.shows}
                  <form method="post" action="/dev/idp/sign-in">
                    <input type="hidden" name="email" value={p.email} />
                    <input type="hidden" name="inResponseTo" value={requestId ?? ''} />
                    <input type="hidden" name="relayState" value={relayState} />
                    <button type="submit">Sign in as {p.email}</button>
                  </form>
                </li>
              ))}
            </ul>
            <h2>Anyone else</h2>
            <p>
              Any other <code>@decorumsoft.com</code> address gets an account just in time, like Jane; any other domain is refused.
            </p>
            <form method="post" action="/dev/idp/sign-in">
              <p>
                <label>
                  Email <input name="email" type="email" size={32} value="jane.smith@decorumsoft.com" required />
                </label>
              </p>
              <input type="hidden" name="inResponseTo" value={requestId ?? ''} />
              <input type="hidden" name="relayState" value={relayState} />
              <button type="submit">{requestId ? 'Answer the sign-in request' : 'Sign in (IdP-initiated)'}</button>
            </form>
            <p class="note">
              Existing users can also start from the app: <a href={`/saml/${demo.companyId}/login`}>SP-initiated sign-in</a>.
            </p>
          </>,
        ),
      );
    })
    .post('/dev/idp/sign-in', async (c) => {
      const form = await c.req.parseBody();
      const email = typeof form.email === 'string' ? form.email.trim().slice(0, 320) : '';
      const inResponseTo = typeof form.inResponseTo === 'string' && form.inResponseTo ? form.inResponseTo : undefined;
      const relayState = typeof form.relayState === 'string' ? form.relayState.slice(0, 1024) : '';
      const deps = c.get('deps');
      const sp = companySpUrls(deps.publicUrl, demo.companyId);
      const local = email.split('@')[0] ?? '';
      const [firstName, lastName] = local.split('.').map((p) => p.charAt(0).toUpperCase() + p.slice(1));
      const samlResponse = signDevResponse({
        idpEntityId: demo.idp.entityId,
        privateKeyPem: demo.idp.privateKeyPem,
        certificatePem: demo.idp.certificatePem,
        sp,
        email,
        ...(firstName ? { firstName } : {}),
        ...(lastName ? { lastName } : {}),
        inResponseTo,
        now: deps.now(),
      });
      // The HTTP-POST binding: the browser carries the response to the ACS.
      return c.html(
        page(
          'Signing in…',
          <>
            <form method="post" action={sp.acsUrl} id="post">
              <input type="hidden" name="SAMLResponse" value={samlResponse} />
              {relayState ? <input type="hidden" name="RelayState" value={relayState} /> : null}
              <p>
                Signed SAML Response for <strong>{email}</strong> ready. <button type="submit">Continue</button>
              </p>
            </form>
            <script dangerouslySetInnerHTML={{ __html: 'document.getElementById("post").submit();' }} />
          </>,
        ),
      );
    });
}
