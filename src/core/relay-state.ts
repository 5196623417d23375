/**
 * RelayState is attacker-controlled: it may only send the browser to a path on our own origin.
 * Returns that path (with query and fragment), or null when the value must be ignored.
 */
export function safeRelayPath(relayState: string | null | undefined, ownOrigin: string): string | null {
  if (!relayState || relayState.length > 1024) return null;
  // Control characters and backslashes let browsers reinterpret a "path" as another host.
  if (/[\u0000-\u001f\u007f\\]/.test(relayState)) return null;
  const isPath = relayState.startsWith('/') && !relayState.startsWith('//');
  const isAbsolute = /^https?:\/\//i.test(relayState);
  if (!isPath && !isAbsolute) return null;
  let url: URL;
  try {
    url = new URL(relayState, ownOrigin);
  } catch {
    return null;
  }
  if (url.origin !== ownOrigin) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}
