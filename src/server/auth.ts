import { Code, ConnectError } from "@connectrpc/connect";
import type { Caller } from "../domain/caller.js";

/** Looks an API key up; undefined when unknown or revoked. Injected so the transport never touches storage. */
export type Authenticate = (token: string) => Promise<Caller | undefined>;

/** What a route needs from its caller before the handler runs. */
export type Access = "public" | "service" | "admin";

/** Longest bearer token we look at; longer ones cannot be keys and are not hashed. */
const maxTokenLength = 512;

/**
 * One message for missing, malformed and unknown keys alike, so a caller
 * cannot probe which keys exist.
 */
const unauthenticated = (): ConnectError => new ConnectError("missing or invalid API key", Code.Unauthenticated);

/** Extracts the token of `authorization: Bearer <token>`, or undefined when absent or malformed. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (header === undefined || header === null) return undefined;
  if (header.length < 8 || header.length > maxTokenLength + 7) return undefined;
  if (header.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = header.slice(7).trim();
  if (token.length === 0 || !/^[\x21-\x7e]+$/.test(token)) return undefined;
  return token;
}

/**
 * Authenticates and authorises one call: DESIGN "every RPC but health needs a
 * key; AdminService needs role admin". Throws the ConnectError to send.
 */
export async function authorize(
  access: Access,
  authorization: string | undefined | null,
  authenticate: Authenticate,
): Promise<Caller | undefined> {
  if (access === "public") return undefined;
  const token = bearerToken(authorization);
  if (token === undefined) throw unauthenticated();
  const caller = await authenticate(token);
  if (caller === undefined) throw unauthenticated();
  if (access === "admin" && caller.role !== "admin") {
    throw new ConnectError("this API key's role may not call this service", Code.PermissionDenied);
  }
  return caller;
}
