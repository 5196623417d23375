/**
 * The web admin page (hono/jsx): a server-rendered shell whose forms the inline client script
 * (./script.ts) fills and saves through the JSON admin API; and the pages for people who may not use it.
 */
import type { Child } from 'hono/jsx';
import { ADMIN_SCRIPT } from './script.js';
import { ADMIN_CSS } from './styles.js';

function Layout(props: { title: string; nonce: string; children: Child; script?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: ADMIN_CSS }} />
      </head>
      <body>
        {props.children}
        {props.script ? <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: ADMIN_SCRIPT }} /> : null}
      </body>
    </html>
  );
}

function SignOut() {
  return (
    <form method="post" action="/logout">
      <button type="submit">Sign out</button>
    </form>
  );
}

/** No session (or an expired one): how to sign in, since we cannot know the company here. */
export function AdminSignInPage(props: { nonce: string; development: boolean }) {
  return (
    <Layout title="Sign in to administer your company" nonce={props.nonce}>
      <h1>Sign in to administer your company</h1>
      <p>The admin page is for company admins who are signed in. You are not signed in, or your session has ended.</p>
      <div class="box">
        <p>
          <strong>How to sign in:</strong> open this application from your company’s identity provider portal (the app tile in Okta,
          Microsoft Entra ID, Google Workspace...). You land on the dashboard signed in; then come back to <a href="/admin">/admin</a>.
        </p>
        <p>
          Existing users can also start from the company’s own sign-in link, <code>/saml/&lt;company id&gt;/login?RelayState=/admin</code>,
          which brings you back here. Ask your admin or support for it: this page cannot tell which company you belong to.
        </p>
      </div>
      {props.development ? (
        <p class="hint">
          Development: the built-in test identity provider at <a href="/dev/idp?RelayState=/admin">/dev/idp</a> signs you in to the demo company
          (<code>admin@decorumsoft.com</code> is its admin), when the demo is on.
        </p>
      ) : null}
    </Layout>
  );
}

/** Signed in, but the permission set does not hold `admin`. */
export function AdminForbiddenPage(props: { nonce: string; email: string; companyName: string; permissionSet: string | null }) {
  return (
    <Layout title="Admins only" nonce={props.nonce}>
      <h1>Admins only</h1>
      <p>
        You are signed in as <strong>{props.email}</strong> at <strong>{props.companyName}</strong>, but you are not an admin of this
        company, so you cannot open its settings.
      </p>
      <div class="box">
        <p>
          Your permission set{props.permissionSet ? <> (<strong>{props.permissionSet}</strong>)</> : null} does not include the{' '}
          <code>admin</code> permission. Ask one of your company’s admins to give you a permission set with it, or sign out and sign in
          through your identity provider as an admin.
        </p>
      </div>
      <SignOut />
    </Layout>
  );
}

export interface AdminPageProps {
  nonce: string;
  companyId: string;
  companyName: string;
  email: string;
  permissionSet: string | null;
  sp: { entityId: string; acsUrl: string; metadataUrl: string; loginUrl: string };
  scimBaseUrl: string;
}

function Msg(props: { id: string }) {
  return <p id={props.id} class="msg" role="status" aria-live="polite" />;
}

/** Settings > Security settings > SAML SSO, SAML setup help, directory sync, explain and the audit log. */
export function AdminPage(p: AdminPageProps) {
  return (
    <Layout title={`Settings · ${p.companyName}`} nonce={p.nonce} script>
      <header>
        <nav aria-label="Breadcrumb" class="crumbs">
          Settings › Security settings › SAML SSO
        </nav>
        <h1>Settings · {p.companyName}</h1>
        <div class="who">
          <span>
            Signed in as <strong>{p.email}</strong>
            {p.permissionSet ? <> ({p.permissionSet})</> : null}
          </span>
          <SignOut />
        </div>
        <nav aria-label="Sections" class="sections">
          <ul>
            <li><a href="#security">Security settings</a></li>
            <li><a href="#saml">SAML setup</a></li>
            <li><a href="#directory">Directory sync</a></li>
            <li><a href="#explain">Explain a sign-in</a></li>
            <li><a href="#audit">Audit log</a></li>
          </ul>
        </nav>
      </header>
      <main id="admin" data-company-id={p.companyId} data-sp-entity-id={p.sp.entityId} data-acs-url={p.sp.acsUrl}>
        <noscript>
          <p class="msg error">This page needs JavaScript to load and save the settings.</p>
        </noscript>
        <div id="cert-warnings" class="alert" role="region" aria-label="Certificate warnings" aria-live="polite" hidden />

        <section id="security" aria-labelledby="security-h">
          <h2 id="security-h">Security settings</h2>
          <h3>SAML SSO</h3>
          <form id="jit-form">
            <fieldset>
              <legend>Automatic user provisioning</legend>
              <p class="hint">
                A person without an account gets one at their first sign-in from the identity provider’s portal (IdP-initiated), in the
                default workspace with the default permission set, when their email’s domain already has a confirmed user here.
              </p>
              <label class="switch" for="jit-enabled">
                <input type="checkbox" role="switch" id="jit-enabled" name="enabled" />
                Automatic user provisioning
                <span id="jit-state" class="state" aria-hidden="true" />
              </label>
              <p class="hint">Once on, only support can switch it off.</p>
              <label for="jit-workspace">Default workspace</label>
              <select id="jit-workspace" name="defaultWorkspaceId">
                <option value="">Loading…</option>
              </select>
              <label for="jit-permission-set">Default permission set</label>
              <select id="jit-permission-set" name="defaultPermissionSetId">
                <option value="">Loading…</option>
              </select>
              <label class="inline" for="jit-directory">
                <input type="checkbox" id="jit-directory" name="requireDirectoryMembership" />
                Require directory membership
              </label>
              <p class="hint">Only people present and active in the directory your IdP syncs (SCIM) get an account. Needs directory sync.</p>
            </fieldset>
            <button type="submit" class="primary">Save changes</button>
            <Msg id="jit-msg" />
          </form>
        </section>

        <section id="saml" aria-labelledby="saml-h">
          <h2 id="saml-h">SAML setup help</h2>
          <p>Give your identity provider these values (or the metadata URL):</p>
          <dl class="urls">
            <dt>ACS URL (Reply URL)</dt>
            <dd class="mono" id="sp-acs">{p.sp.acsUrl}</dd>
            <dt>SP entity ID (Identifier)</dt>
            <dd class="mono" id="sp-entity">{p.sp.entityId}</dd>
            <dt>Metadata URL</dt>
            <dd class="mono">
              <a id="sp-metadata" href={p.sp.metadataUrl}>{p.sp.metadataUrl}</a>
            </dd>
            <dt>Sign-in link (existing users)</dt>
            <dd class="mono" id="sp-login">{p.sp.loginUrl}</dd>
          </dl>
          <p class="note" id="entra-note">
            <strong>Microsoft Entra ID:</strong> leave the <strong>Sign-on URL</strong> field of the Basic SAML Configuration blank.
            Otherwise people see a password prompt instead of the SSO button when they sign in from the Entra portal.
          </p>
          <p class="hint">Automatic user provisioning only works for IdP-initiated sign-in (the app tile in the IdP portal).</p>
          <h3>Identity provider</h3>
          <div id="idp-info" aria-live="polite">
            <p class="empty">Loading…</p>
          </div>
          <form id="metadata-form">
            <label for="metadata-xml">Paste your IdP’s metadata XML</label>
            <textarea id="metadata-xml" name="metadataXml" spellcheck={false} required />
            <button type="submit" class="primary">Save IdP metadata</button>
            <Msg id="metadata-msg" />
          </form>
        </section>

        <section id="directory" aria-labelledby="directory-h">
          <h2 id="directory-h">Directory sync (SCIM)</h2>
          <dl class="urls">
            <dt>SCIM base URL</dt>
            <dd class="mono" id="scim-base">{p.scimBaseUrl}</dd>
          </dl>
          <h3>SCIM tokens</h3>
          <form id="scim-token-form" class="row">
            <div>
              <label for="scim-token-label">Label (optional)</label>
              <input type="text" id="scim-token-label" name="label" maxLength={100} placeholder="Okta provisioning" />
            </div>
            <button type="submit" class="primary">Create SCIM token</button>
          </form>
          <Msg id="scim-msg" />
          <div id="scim-new-token" class="secret" hidden>
            <label for="scim-token-value">New SCIM token</label>
            <input type="text" id="scim-token-value" readOnly />
            <p>
              <strong>Copy it now: it is shown only once.</strong> Paste it in your IdP’s provisioning settings as the bearer token (secret
              token), with the SCIM base URL above. <button type="button" id="scim-copy">Copy</button>
            </p>
          </div>
          <div id="scim-tokens">
            <p class="empty">Loading…</p>
          </div>
          <h3>Group mappings</h3>
          <p class="hint">A member of a mapped IdP group gets this workspace and permission set (the lowest priority wins).</p>
          <div id="group-mappings">
            <p class="empty">Loading…</p>
          </div>
        </section>

        <section id="explain" aria-labelledby="explain-h">
          <h2 id="explain-h">Explain a sign-in</h2>
          <p class="hint">What would happen if this person signed in now, with every rule checked.</p>
          <form id="explain-form" class="row">
            <div>
              <label for="explain-email">Email</label>
              <input type="email" id="explain-email" name="email" required placeholder="jane.smith@example.com" />
            </div>
            <div>
              <label for="explain-flow">Sign-in started from</label>
              <select id="explain-flow" name="flow">
                <option value="idp_initiated">The IdP portal (IdP-initiated)</option>
                <option value="sp_initiated">Our sign-in link (SP-initiated)</option>
              </select>
            </div>
            <button type="submit" class="primary">Explain</button>
          </form>
          <Msg id="explain-msg" />
          <div id="explain-result" aria-live="polite" />
        </section>

        <section id="audit" aria-labelledby="audit-h">
          <h2 id="audit-h">Recent audit events</h2>
          <button type="button" id="audit-refresh">Refresh</button>
          <Msg id="audit-msg" />
          <div id="audit-events">
            <p class="empty">Loading…</p>
          </div>
        </section>
      </main>
    </Layout>
  );
}
