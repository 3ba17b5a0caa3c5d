// The Authorization header of a remote_write section, built on the main thread from the config
// (kept apart from client.ts, whose node:https costs the main thread about 10 MB resident).

/** The Authorization header for basic authentication or a bearer token, if any. */
export function authHeaders(
  auth: { username?: string; password?: string; bearerToken?: string },
): Record<string, string> {
  if (auth.bearerToken) return { Authorization: `Bearer ${auth.bearerToken}` };
  if (auth.username || auth.password) {
    const token = btoa(String.fromCharCode(
      ...new TextEncoder().encode(`${auth.username ?? ""}:${auth.password ?? ""}`),
    ));
    return { Authorization: `Basic ${token}` };
  }
  return {};
}
