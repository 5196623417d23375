/** A CSP nonce: 144 random bits, base64; good for one response only. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The policy of an auto-submitting HTTP-POST page to an IdP: its one inline script and stylesheet under
 * the nonce, nothing else. No form-action: the form's only action is the IdP's URL, and browsers apply
 * form-action to the redirects that follow the post, which an IdP may send to any host of its own.
 */
export function postPagePolicy(nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, "base-uri 'none'", "frame-ancestors 'none'"].join('; ');
}
