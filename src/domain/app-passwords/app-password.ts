/**
 * An app password as the domain sees it: everything but the password, which
 * is never stored, and its hash, which never leaves the store module.
 */
export interface AppPasswordView {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | undefined;
  lastUsedAt: Date | undefined;
  lastUsedIp: string;
  revokedAt: Date | undefined;
}

/** Whether it could still be used at `now`: not revoked and not past its expiry. */
export function isLive(p: Pick<AppPasswordView, "revokedAt" | "expiresAt">, now: Date): boolean {
  return p.revokedAt === undefined && (p.expiresAt === undefined || p.expiresAt.getTime() > now.getTime());
}
