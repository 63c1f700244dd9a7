/** Who is calling: an API key of one tenant, with one role. */
export type Role = "service" | "admin";

export interface Caller {
  tenant: string;
  keyId: string;
  role: Role;
}

/** Where a request came from, for audit. */
export interface RequestMeta {
  caller: Caller;
  /** The end user's address as the caller reported it, else empty. */
  clientIp: string;
  requestId: string;
}
