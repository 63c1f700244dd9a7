import { createClient, createRouterTransport, ConnectError, Code, type Client } from "@connectrpc/connect";
import type { AppDeps } from "../../src/app.js";
import type { Caller, RequestMeta } from "../../src/domain/caller.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { adminServiceImpl } from "../../src/rpc/admin-service.js";
import { callerKey } from "../../src/rpc/context.js";
import { toConnectError } from "../../src/rpc/errors.js";
import type { Queryable } from "../../src/store/db.js";

/** An admin caller of `tenant`, as the transport would set it after authenticating the key. */
export function adminCaller(tenant: string, keyId = `key-${tenant}`): Caller {
  return { tenant, keyId, role: "admin" };
}

export function metaOf(caller: Caller, clientIp = ""): RequestMeta {
  return { caller, clientIp, requestId: "test-request" };
}

/**
 * An AdminService client over an in-memory router transport: the handlers run
 * for real (protobuf encoding, error details) with the caller set as the
 * server's auth interceptor would, and errors mapped by the real rpc/errors.ts.
 */
export function adminClient(deps: AppDeps, caller: Caller): Client<typeof AdminService> {
  const transport = createRouterTransport((router) => router.service(AdminService, adminServiceImpl(deps)), {
    router: {
      interceptors: [
        (next) => async (req) => {
          req.contextValues.set(callerKey, caller);
          try {
            return await next(req);
          } catch (err) {
            throw toConnectError(err, deps.logger);
          }
        },
      ],
    },
  });
  return createClient(AdminService, transport);
}

/** The fields an INVALID_ARGUMENT names in its BadRequest detail; fails the test for any other outcome. */
export async function invalidFields(call: Promise<unknown>): Promise<string[]> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code !== Code.InvalidArgument) throw new Error(`expected INVALID_ARGUMENT, got ${Code[e.code]}: ${e.message}`);
    return e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
  }
  throw new Error("expected INVALID_ARGUMENT, the call succeeded");
}

const TABLES = [
  "factors",
  "backup_code_lists",
  "backup_codes",
  "app_passwords",
  "throttles",
  "audit_events",
  "enforcement_policies",
  "provider_policies",
  "relying_parties",
];

/** A fingerprint of every table an admin call could change, to prove a refused call changed nothing. */
export async function snapshot(db: Queryable): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const r = await db.query<{ n: number; h: string | null }>(
      `SELECT count(*)::integer AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`,
    );
    out[t] = `${r.rows[0]?.n}:${r.rows[0]?.h}`;
  }
  return out;
}

/** Inserts a factor row directly (the enrolment module is another helper's); returns its id. */
export async function insertFactor(
  db: Queryable,
  tenant: string,
  userId: string,
  kind: "totp" | "hotp" | "webauthn" | "passwordless",
  opts: { id: string; state?: "pending" | "active"; at: Date; label?: string },
): Promise<string> {
  const otp = kind === "totp" || kind === "hotp";
  await db.query(
    `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, confirmed_at, pending_expires_at,
                          algorithm, digits, period_seconds, secret_sealed, drift_steps, last_step)
     VALUES ($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      tenant,
      userId,
      opts.id,
      kind,
      opts.label ?? `${kind} device`,
      opts.state ?? "active",
      opts.at,
      (opts.state ?? "active") === "active" ? opts.at : null,
      (opts.state ?? "active") === "pending" ? new Date(opts.at.getTime() + 600_000) : null,
      otp ? "SHA1" : null,
      otp ? 6 : null,
      kind === "totp" ? 30 : null,
      otp ? Buffer.from("sealed-placeholder") : null,
      kind === "totp" ? 1 : 0,
      kind === "hotp" ? 41 : -1,
    ],
  );
  return opts.id;
}
