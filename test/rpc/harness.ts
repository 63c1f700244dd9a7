import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import type { AppDeps } from "../../src/app.js";
import { totpCode, type OtpAlgorithm, type OtpDigits, type TotpPeriod } from "../../src/core/index.js";
import type { Caller } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { BadRequestSchema, RetryInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { callerKey } from "../../src/rpc/context.js";
import { toConnectError } from "../../src/rpc/errors.js";
import { createServices } from "../../src/rpc/services.js";
import type { Queryable } from "../../src/store/db.js";
import { createTestApp, type TestApp } from "../support/app.js";

/** 2026-01-01T00:00:10Z: 10 s into a 30 s step, so ±1 step stays well inside the window. */
export const T0 = new Date("2026-01-01T00:00:10Z");

export interface Harness {
  app: TestApp;
  clock: FixedClock;
  enrolment(tenant?: string): Client<typeof EnrolmentService>;
  auth(tenant?: string): Client<typeof AuthenticationService>;
  backupCodes(tenant?: string): Client<typeof BackupCodeService>;
}

/** A service caller of `tenant`, as the transport sets it after checking the API key. */
export function serviceCaller(tenant: string): Caller {
  return { tenant, keyId: `key-${tenant}`, role: "service" };
}

/**
 * The real handlers (createServices) behind an in-memory router transport:
 * protobuf encoding, error details and the real error mapping, with the caller
 * set as the server's auth interceptor would. The network server is tested
 * elsewhere.
 */
export async function createHarness(opts: { totpWindow?: number } = {}): Promise<Harness> {
  const clock = new FixedClock(T0);
  const app = await createTestApp({ clock, config: opts.totpWindow === undefined ? {} : { totpWindow: opts.totpWindow } });
  const transportFor = (deps: AppDeps, tenant: string) =>
    createRouterTransport(
      (router) => {
        for (const r of createServices(deps)) router.service(r.service, r.impl);
      },
      {
        router: {
          interceptors: [
            (next) => async (req) => {
              req.contextValues.set(callerKey, serviceCaller(tenant));
              try {
                return await next(req);
              } catch (err) {
                throw toConnectError(err, deps.logger);
              }
            },
          ],
        },
      },
    );
  return {
    app,
    clock,
    enrolment: (tenant = "acme") => createClient(EnrolmentService, transportFor(app.deps, tenant)),
    auth: (tenant = "acme") => createClient(AuthenticationService, transportFor(app.deps, tenant)),
    backupCodes: (tenant = "acme") => createClient(BackupCodeService, transportFor(app.deps, tenant)),
  };
}

/** The TOTP code an authenticator holding `secretHex` shows at `at` (plus `stepOffset` steps of clock error). */
export function codeAt(
  secretHex: string,
  at: Date,
  opts: { algorithm?: OtpAlgorithm; digits?: OtpDigits; period?: TotpPeriod; stepOffset?: number } = {},
): string {
  const period = opts.period ?? 30;
  const t = Math.floor(at.getTime() / 1000) + (opts.stepOffset ?? 0) * period;
  return totpCode(Buffer.from(secretHex, "hex"), opts.algorithm ?? "SHA1", opts.digits ?? 6, period, t);
}

/** The ConnectError a call failed with; fails the test when it succeeded. */
export async function errorOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** The fields an INVALID_ARGUMENT names; fails the test for any other outcome. */
export async function invalidFields(call: Promise<unknown>): Promise<string[]> {
  const e = await errorOf(call);
  if (e.code !== Code.InvalidArgument) throw new Error(`expected INVALID_ARGUMENT, got ${Code[e.code]}: ${e.message}`);
  return e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

/** The retry delay of a RESOURCE_EXHAUSTED, in ms; fails the test for any other outcome. */
export async function retryDelayMs(call: Promise<unknown>): Promise<number> {
  const e = await errorOf(call);
  if (e.code !== Code.ResourceExhausted) throw new Error(`expected RESOURCE_EXHAUSTED, got ${Code[e.code]}: ${e.message}`);
  const info = e.findDetails(RetryInfoSchema)[0];
  if (info?.retryDelay === undefined) throw new Error("RESOURCE_EXHAUSTED without RetryInfo");
  return Number(info.retryDelay.seconds) * 1000 + Math.round(info.retryDelay.nanos / 1e6);
}

const TABLES = ["factors", "login_transactions", "throttles", "audit_events"];

/** A fingerprint of every table these services write, to prove a refused call changed nothing. */
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
