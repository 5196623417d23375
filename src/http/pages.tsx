/** The few HTML pages a person sees: the refusal page and the landing page, signed in or not (hono/jsx). */
import type { Child } from 'hono/jsx';
import { explainReason, isReasonCode } from '../core/reasons.js';

/** `nonce`: for a page served under a CSP that names one (the inline stylesheet must carry it). */
export function Layout(props: { title: string; nonce?: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style nonce={props.nonce}>{`body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}
.box{border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.25rem;background:#f6f8fa}
code{background:#eef1f4;padding:0 .25rem;border-radius:4px;overflow-wrap:anywhere}
p,li{overflow-wrap:break-word}
.new{border-color:#1a7f37;background:#dafbe1}
a.go{display:inline-block;padding:.4rem .9rem;border-radius:6px;background:#1f883d;color:#fff;font-weight:600;text-decoration:none}
button{font:inherit;padding:.4rem .9rem}`}</style>
      </head>
      <body>{props.children}</body>
    </html>
  );
}

export interface RefusalProps {
  reason: string;
  companyName: string | null;
  /** The SAML connection the response was posted to, when it is known. */
  connectionName?: string | null | undefined;
  email: string | null;
}

/** The box of a refusal page: what to tell the admin, the connection when known, the reason code. */
function AdminAdvice(props: { advice: string; connectionName?: string | null | undefined; reason: string }) {
  return (
    <div class="box">
      <p>
        <strong>What to tell your admin:</strong> {props.advice}
      </p>
      {props.connectionName ? (
        <p>
          Single sign-on connection: <strong>{props.connectionName}</strong>
        </p>
      ) : null}
      <p>
        Reason code: <code>{props.reason}</code>
      </p>
    </div>
  );
}

/** "We could not sign you in": the reason in plain words and what to tell the admin; never internals. */
export function RefusalPage(props: RefusalProps) {
  const words = isReasonCode(props.reason)
    ? explainReason(props.reason, {
        ...(props.companyName ? { companyName: props.companyName } : {}),
        ...(props.email ? { email: props.email } : {}),
      })
    : {
        title: 'This sign-in link is not valid',
        message: 'The address you signed in to does not belong to any company here.',
        adviceForAdmin: 'Check the ACS URL configured in your identity provider.',
      };
  return (
    <Layout title={words.title}>
      <h1>{words.title}</h1>
      <p>{words.message}</p>
      <AdminAdvice advice={words.adviceForAdmin} connectionName={props.connectionName} reason={props.reason} />
    </Layout>
  );
}

export interface SignedInProps {
  email: string;
  workspace: string | null;
  companyName: string;
  permissionSet: string | null;
  /** This session's sign-in created the account (JIT). */
  accountJustCreated: boolean;
  /** The permission set holds `admin`: link the admin page. */
  isAdmin: boolean;
}

export function SignedInPage(props: SignedInProps) {
  return (
    <Layout title="Signed in">
      <h1>You are signed in</h1>
      {props.accountJustCreated ? (
        <div class="box new" id="account-created" role="status">
          <p>
            <strong>Your account was just created.</strong> This was your first sign-in to <strong>{props.companyName}</strong>, so an
            account was made for you from your identity provider’s sign-in
            {props.workspace ? <>, in the workspace <strong>{props.workspace}</strong></> : null}
            {props.permissionSet ? <> with the permission set <strong>{props.permissionSet}</strong></> : null}. Next time you sign in
            the same way, you land in it directly.
          </p>
        </div>
      ) : null}
      <p>
        Signed in as <strong>{props.email}</strong> at <strong>{props.companyName}</strong>
        {props.workspace ? <> in the workspace <strong>{props.workspace}</strong></> : null}.
      </p>
      {props.isAdmin ? (
        <div id="admin-link">
          <p>
            You are an admin of {props.companyName}. Its settings (SAML single sign-on, automatic user provisioning, directory sync) and
            its audit log are on the admin page.
          </p>
          <p>
            <a class="go" href="/admin">Open the admin page</a>
          </p>
        </div>
      ) : null}
      <form method="post" action="/logout">
        <button type="submit">Sign out</button>
      </form>
    </Layout>
  );
}

/** The database does not answer: nothing is wrong with the person's sign-in, so they are told to retry. */
export function DatabaseUnavailablePage(props: { retryAfterSeconds: number }) {
  const title = 'Sign-in is briefly unavailable';
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p>
        We cannot reach our database right now, so nothing could be checked or saved. Nothing is wrong with your account or your
        sign-in. Please try again in a few seconds (at least {props.retryAfterSeconds}), from your company’s sign-in portal.
      </p>
      <div class="box">
        <p>
          <strong>What to tell your admin:</strong> if this lasts, the service’s database is down or overloaded; its operator should
          check it.
        </p>
        <p>
          Reason code: <code>database_unavailable</code>
        </p>
      </div>
    </Layout>
  );
}

/** Too many sign-ins were started for this company this minute: nothing is wrong with the person's account. */
export function TooManySignInsPage(props: { retryAfterSeconds: number }) {
  const title = 'Too many sign-ins right now';
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p>
        More sign-ins were started for your company in the last minute than we accept, so this one was not started. Nothing is wrong
        with your account. Please try again in {props.retryAfterSeconds} second{props.retryAfterSeconds === 1 ? '' : 's'}.
      </p>
      <div class="box">
        <p>
          <strong>What to tell your admin:</strong> sign-in starts from this application (SP-initiated) are limited per company and
          minute (SAML_LOGIN_RATE_LIMIT_PER_MINUTE). If real users reach the limit, the operator can raise it; otherwise someone is
          starting sign-ins in bulk. Sign-ins from the identity provider portal are not limited.
        </p>
        <p>
          Reason code: <code>rate_limited</code>
        </p>
      </div>
    </Layout>
  );
}

export function SignedOutPage() {
  return (
    <Layout title="Not signed in">
      <h1>Not signed in</h1>
      <p>Open this application from your company’s identity provider portal to sign in.</p>
    </Layout>
  );
}

/**
 * SP-initiated sign-in with an IdP that takes the AuthnRequest only by HTTP-POST: a form to its SSO URL,
 * posted at once by a nonced inline script; without JavaScript the person presses Continue.
 */
export function IdpPostPage(props: { action: string; samlRequest: string; relayState?: string | undefined; nonce: string }) {
  return (
    <Layout title="Signing you in" nonce={props.nonce}>
      <h1>Signing you in</h1>
      <p>Taking you to your identity provider to sign in.</p>
      <form id="saml-post" method="post" action={props.action}>
        <input type="hidden" name="SAMLRequest" value={props.samlRequest} />
        {props.relayState !== undefined ? <input type="hidden" name="RelayState" value={props.relayState} /> : null}
        <noscript>
          <button type="submit">Continue</button>
        </noscript>
      </form>
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: 'document.getElementById("saml-post").submit();' }} />
    </Layout>
  );
}

/**
 * A signed Single Logout message the browser posts to the IdP (HTTP-POST binding), at once by a nonced
 * inline script; without JavaScript the person presses Continue.
 */
export function SamlLogoutPostPage(props: { action: string; field: 'SAMLRequest' | 'SAMLResponse'; value: string; relayState?: string | undefined; nonce: string }) {
  return (
    <Layout title="Signing you out" nonce={props.nonce}>
      <h1>Signing you out</h1>
      <p>Telling your identity provider that you signed out.</p>
      <form id="saml-post" method="post" action={props.action}>
        <input type="hidden" name={props.field} value={props.value} />
        {props.relayState !== undefined ? <input type="hidden" name="RelayState" value={props.relayState} /> : null}
        <noscript>
          <button type="submit">Continue</button>
        </noscript>
      </form>
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: 'document.getElementById("saml-post").submit();' }} />
    </Layout>
  );
}

const LOGOUT_ADVICE: Record<string, string> = {
  signature_missing: 'The identity provider sent an unsigned logout message; it must sign its Single Logout messages.',
  signature_invalid: 'The logout message is not signed by a certificate configured for this connection.',
  issuer_mismatch: 'The logout message comes from another identity provider than this connection trusts.',
  unknown_request: 'This logout answer does not match a sign-out started here, or was already used.',
  sp_signing_key_missing: 'The connection has no SP signing key, so the answer to the identity provider cannot be signed. Upload one.',
  idp_slo_url_missing: "The connection has no Single Logout URL of the identity provider. Set it, or paste the IdP's metadata again.",
};

/** A Single Logout message was refused: the reason code, and what to tell the admin; never internals. */
export function LogoutRefusedPage(props: { reason: string; companyName: string | null; connectionName: string | null }) {
  const title = 'Single logout was not completed';
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p>
        A sign-out message from your identity provider{props.companyName ? <> for {props.companyName}</> : null} could not be accepted.
        To be sure you are signed out here, close your browser.
      </p>
      <AdminAdvice
        advice={LOGOUT_ADVICE[props.reason] ?? 'Check the Single Logout settings of the SAML connection and its audit log.'}
        connectionName={props.connectionName}
        reason={props.reason}
      />
    </Layout>
  );
}
