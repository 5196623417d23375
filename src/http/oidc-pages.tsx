/** The OpenID provider's own pages: an authorization request it cannot send back, and the logout confirmation. */
import { Layout } from './pages.js';

/** An authorization request refused before its redirect URI is known good (RFC 6749 §4.1.2.1: never redirect then). */
export function AuthorizeErrorPage(props: { error: string; description: string }) {
  return (
    <Layout title="Sign-in request refused">
      <h1>This sign-in request cannot be completed</h1>
      <p>{props.description}</p>
      <div class="box">
        <p>
          <strong>What to tell the application's developers:</strong> the OpenID Connect client settings (client_id or redirect URI) do not
          match what is registered with the bridge.
        </p>
        <p>
          Error code: <code>{props.error}</code>
        </p>
      </div>
    </Layout>
  );
}

/** RP-initiated logout without an id_token_hint: the person confirms, so no other site can sign them out with a link. */
export function LogoutConfirmPage(props: { applicationName: string | null; fields: Record<string, string> }) {
  return (
    <Layout title="Sign out">
      <h1>Sign out?</h1>
      <p>{props.applicationName ? `${props.applicationName} asks to end your single sign-on session.` : 'An application asks to end your single sign-on session.'}</p>
      <form method="post" action="/oauth/logout">
        {Object.entries(props.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Sign out</button>
      </form>
    </Layout>
  );
}

/** After an RP-initiated logout that names no post_logout_redirect_uri. */
export function LoggedOutPage() {
  return (
    <Layout title="Signed out">
      <h1>You are signed out</h1>
      <p>Your single sign-on session has ended. Your identity provider may still be signed in; sign out there too on a shared computer.</p>
    </Layout>
  );
}
