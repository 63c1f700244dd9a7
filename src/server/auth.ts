import { Code, ConnectError } from "@connectrpc/connect";
import type { Authenticate } from "../domain/api-keys/index.js";
import type { Caller } from "../domain/caller.js";
import type { CallDeadline } from "../store/call-deadline.js";

export type { Authenticate };

/** What a route needs from its caller before the handler runs. */
export type Access = "public" | "service" | "admin";

/** Longest bearer token we look at; longer ones cannot be keys and are not hashed. */
const maxTokenLength = 512;

/**
 * One message for missing, malformed and unknown keys alike, so a caller
 * cannot probe which keys exist.
 */
const unauthenticated = (): ConnectError => new ConnectError("missing or invalid API key", Code.Unauthenticated);

/** Optional whitespace around a field value (RFC 9110 §5.6.3), which HTTP/1.1 parsers strip and HTTP/2 may deliver. */
const ows = /^[ \t]+|[ \t]+$/g;

/**
 * Extracts the token of `authorization: Bearer <token>` (RFC 6750 §2.1), or
 * undefined when absent or malformed. The one parser for every transport:
 * surrounding whitespace is dropped first, as node's HTTP/1.1 parser already
 * does, so a value means the same on HTTP/1.1 and HTTP/2.
 */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (header === undefined || header === null) return undefined;
  if (header.length > maxTokenLength + 64) return undefined;
  const value = header.replace(ows, "");
  const match = /^bearer +([\x21-\x7e]+)$/i.exec(value);
  const token = match?.[1];
  if (token === undefined || token.length > maxTokenLength) return undefined;
  return token;
}

/**
 * The one `authorization` value of a request, from its raw header list (the
 * parsed headers keep only the first of duplicates). A request that sends it
 * twice gets null, which authorize() refuses like a malformed key: which of
 * two credentials counts is not the caller's to leave to the server.
 */
export function singleAuthorization(rawHeaders: readonly string[]): string | undefined | null {
  let value: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 13 || name.toLowerCase() !== "authorization") continue;
    if (value !== undefined) return null;
    value = rawHeaders[i + 1] as string;
  }
  return value;
}

/**
 * Authenticates and authorises one call: docs/design.md "Callers, tenants, roles":
 * every RPC but health needs a key; AdminService needs role admin. Throws the ConnectError to send.
 */
export async function authorize(
  access: Access,
  authorization: string | undefined | null,
  authenticate: Authenticate,
  deadline: CallDeadline | undefined,
): Promise<Caller | undefined> {
  if (access === "public") return undefined;
  // undefined or null: absent, or sent more than once (singleAuthorization).
  const token = bearerToken(authorization);
  if (token === undefined) throw unauthenticated();
  const caller = await authenticate(token, deadline);
  if (caller === undefined) throw unauthenticated();
  if (access === "admin" && caller.role !== "admin") {
    throw new ConnectError("this API key's role may not call this service", Code.PermissionDenied);
  }
  return caller;
}
