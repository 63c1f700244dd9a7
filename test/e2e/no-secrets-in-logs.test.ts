import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { totpCode } from "../../src/core/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FailureReason, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient } from "../support/clients.js";
import { createGrpcClient } from "../support/grpc-client.js";
import { startInProcess, type InProcessServer } from "./helpers.js";
import { codeMatchingNone } from "../support/otp-codes.js";

const T0 = new Date("2026-08-01T07:00:10Z");
const USER = "carol@example.test";

let app: TestApp;
let srv: InProcessServer;
let clock: FixedClock;
/** Every log line the server and the domain wrote, as written. */
const lines: string[] = [];
/** Every secret the flow handled: none may appear in a log line or an audit row. */
const secrets = new Map<string, string>();

function remember(name: string, value: string): void {
  expect(value.length, name).toBeGreaterThan(0);
  secrets.set(name, value);
}

function code(secretHex: string, at: Date): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
}

/**
 * Whether `value` occurs in `text`, ignoring case. A short value (an OTP code) must
 * stand on its own, so a 6-digit code does not match inside a timestamp.
 */
function occursIn(text: string, value: string): boolean {
  if (value.length >= 12) return text.toLowerCase().includes(value.toLowerCase());
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![0-9A-Za-z])${escaped}(?![0-9A-Za-z])`, "i").test(text);
}

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
  const deps: AppDeps = { ...app.deps, logger };
  srv = await startInProcess(deps, logger);

  const apiKey = await createTestApiKey(app, "acme", "service");
  remember("API key", apiKey);
  remember("API key secret part", apiKey.slice(apiKey.lastIndexOf("_") + 1));
  const enrolment = connectClient(EnrolmentService, srv.url, { apiKey });
  const auth = createGrpcClient(AuthenticationService, srv.address);
  const backupCodes = connectClient(BackupCodeService, srv.url, { apiKey, binary: true });
  const appPasswords = connectClient(AppPasswordService, srv.url, { apiKey });

  // Enrol TOTP and confirm it.
  const enrolled = await enrolment.enrol({ userId: USER, label: "Phone", spec: { case: "totp", value: {} } });
  if (enrolled.enrolment.case !== "otp") throw new Error("no OTP enrolment");
  const { secretBase32, secretHex } = enrolled.enrolment.value;
  remember("TOTP secret (base32)", secretBase32);
  remember("TOTP secret (base32, unpadded)", secretBase32.replace(/=+$/, ""));
  remember("TOTP secret (hex)", secretHex);
  const factorId = enrolled.factor?.id ?? "";
  const confirmCode = code(secretHex, T0);
  remember("confirmation code", confirmCode);
  expect((await enrolment.confirmEnrolment({ userId: USER, factorId, proof: { case: "otpCode", value: confirmCode } })).confirmed).toBe(true);

  // Log in: a wrong code, then the right one, then its replay.
  clock.advance(30_000);
  const loginCode = code(secretHex, clock.now());
  const wrongCode = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }], after: loginCode });
  remember("login code", loginCode);
  remember("wrong code", wrongCode);
  const verifyOtp = async (otp: string) => {
    const tx = await auth.unary("challenge", { userId: USER }, { apiKey });
    return auth.unary("verify", { transactionId: tx.transactionId, proof: { case: "otp", value: { code: otp, factorId: "" } } }, { apiKey });
  };
  expect((await verifyOtp(wrongCode)).reason).toBe(FailureReason.WRONG_CODE);
  expect((await verifyOtp(loginCode)).verified).toBe(true);
  expect((await verifyOtp(loginCode)).reason).toBe(FailureReason.REPLAYED);

  // Backup codes: generate, redeem one (typed in lower case, without dashes), then redeem it again.
  const generated = await backupCodes.generateBackupCodes({ userId: USER });
  expect(generated.codes).toHaveLength(10);
  generated.codes.forEach((c, i) => {
    remember(`backup code ${i}`, c);
    remember(`backup code ${i} (normalised)`, c.replace(/[-\s]/g, ""));
  });
  const typed = (generated.codes[0] ?? "").replace(/-/g, "").toLowerCase();
  const verifyBackup = async () => {
    const tx = await auth.unary("challenge", { userId: USER }, { apiKey });
    return auth.unary("verify", { transactionId: tx.transactionId, proof: { case: "backupCode", value: { code: typed } } }, { apiKey });
  };
  const redeemed = await verifyBackup();
  expect(redeemed.verified).toBe(true);
  expect(redeemed.context?.provider).toBe(Provider.BACKUP_CODE);
  expect((await verifyBackup()).verified).toBe(false);

  // App password: create, verify it, and verify a wrong one.
  const created = await appPasswords.createAppPassword({ userId: USER, name: "Thunderbird", scopes: ["imap"] });
  remember("app password", created.password);
  remember("app password (normalised)", created.password.replace(/-/g, ""));
  const verified = await appPasswords.verifyAppPassword({ userId: USER, password: created.password, requiredScope: "imap", clientIp: "192.0.2.7" });
  expect(verified.verified).toBe(true);
  const wrongPassword = `${created.password.slice(0, -1)}${created.password.endsWith("0") ? "1" : "0"}`;
  remember("wrong app password", wrongPassword);
  expect((await appPasswords.verifyAppPassword({ userId: USER, password: wrongPassword, requiredScope: "imap" })).verified).toBe(false);
  auth.close();
});
afterAll(async () => {
  await srv?.server.close();
  await app?.close();
});

describe("a full flow's logs and audit trail", () => {
  it("logged every call and audited every step, so there is something to search", async () => {
    expect(lines.length).toBeGreaterThan(20);
    const kinds = (await app.db.query<{ kind: string }>("SELECT DISTINCT kind FROM audit_events")).rows.map((r) => r.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "factor.enrolled",
        "factor.confirmed",
        "verify.failed",
        "verify.succeeded",
        "backup_codes.generated",
        "app_password.created",
        "app_password.verified",
      ]),
    );
  });

  it("holds no code, secret, backup code, app password or API key in any log line", () => {
    const leaks = [...secrets].flatMap(([name, value]) => lines.filter((l) => occursIn(l, value)).map((l) => `${name} in ${l}`));
    expect(leaks).toEqual([]);
  });

  it("holds no code, secret, backup code, app password or API key in any audit row", async () => {
    const rows = (await app.db.query<{ row: string }>("SELECT row_to_json(a)::text AS row FROM audit_events a")).rows.map((r) => r.row);
    expect(rows.length).toBeGreaterThan(10);
    const leaks = [...secrets].flatMap(([name, value]) => rows.filter((r) => occursIn(r, value)).map((r) => `${name} in ${r}`));
    expect(leaks).toEqual([]);
  });

  it("would notice a leak: the search finds each secret planted in a line", () => {
    for (const [name, value] of secrets) expect(occursIn(`{"msg":"oops","v":"${value}"}`, value), name).toBe(true);
  });
});
