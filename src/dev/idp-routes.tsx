/**
 * The built-in test IdP (development only): pick who you are, and it posts a real signed SAML Response
 * to the demo company's ACS, IdP-initiated; it also answers SP-initiated AuthnRequests. It signs for
 * whatever email is typed: that is the point of a test IdP, and why it never runs in production.
 */
import { Hono } from 'hono';
import { inflateRawSync } from 'node:zlib';
import type { AppEnv } from '../http/env.js';
import { spUrls } from '../services/saml-connection.js';
import type { Demo } from './demo.js';
import { signDevResponse } from './sign-response.js';

const page = (title: string, body: unknown) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <title>{title}</title>
      <style>{'body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5} input,button{font:inherit;padding:.3rem .5rem} .note{color:#57606a;font-size:.9rem}'}</style>
    </head>
    <body>{body}</body>
  </html>
);

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
              Sign in to <strong>Decorumsoft (demo)</strong> as anyone. <code>jon.smith@decorumsoft.com</code> is a confirmed user, so
              any <code>@decorumsoft.com</code> address gets an account just in time; <code>@decorumsoft.eu</code> does not.
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
      const sp = spUrls(deps.publicUrl, demo.companyId);
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
