import { randomUUID } from "node:crypto";

/** A caller-supplied id is kept only when short and plain, so it is safe to log and echo. */
const saneRequestId = /^[A-Za-z0-9._:\-]{1,128}$/;

/** The request id to log and store: the caller's `x-request-id` when sane, else a fresh UUID. */
export function requestIdFrom(header: string | undefined | null): string {
  if (header !== undefined && header !== null && saneRequestId.test(header)) return header;
  return randomUUID();
}
