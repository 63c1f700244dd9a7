import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotpCode } from "../../src/core/index.js";
import type { PublicKeyCredentialRequestOptionsJSON } from "../../emulator/index.js";
import { ProviderKind, type SetProviderPolicyRequestSchema } from "../../src/gen/twofold/v1/admin_pb.js";
import { FactorKind, FailureReason, OtpAlgorithm, Provider, Purpose, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { PENDING_TTL_MS } from "../../src/domain/factors/index.js";
import { codeAt } from "../rpc/harness.js";
import { browser, challenge2fa, enrolKey, fido2Key, PIN, startEnrolment, verifyAssertion } from "../webauthn/harness.js";
import { createPolicyHarness, expectPrecondition, invalidFields, type PolicyHarness } from "./harness.js";

/**
 * The provider policy through the real server and real clients
 * (docs/design.md "Provider policy"): every kind enabled, disabled and
 * re-enabled over enrol, challenge, verify and app-password calls; tenant
 * isolation; the limits at Enrol; validation. Each test owns its tenant and
 * users, secrets are fixed, the clock is pinned and only moved forward.
 */

let h: PolicyHarness;
beforeAll(async () => {
  h = await createPolicyHarness();
});
afterAll(async () => {
  await h?.close();
});

const USER = "alice";
const TOTP_SECRET = Buffer.from("3132333435363738393031323334353637383930", "hex");
const HOTP_SECRET = Buffer.from("0102030405060708090a0b0c0d0e0f1011121314", "hex");
type PolicyRequest = MessageInitShape<typeof SetProviderPolicyRequestSchema>;

async function setPolicy(tenant: string, policy: PolicyRequest) {
  return h.admin(tenant).setProviderPolicy(policy);
}

async function failures(tenant: string, userId: string): Promise<number> {
  return (await h.admin(tenant).getUserState({ userId })).throttle?.consecutiveFailures ?? -1;
}

/** The next step's TOTP code: the clock moves on 30 s first, so no code is ever a replay. */
function nextTotp(): string {
  h.clock.advance(30_000);
  return codeAt(TOTP_SECRET.toString("hex"), h.clock.now());
}

interface Outcome {
  verified: boolean;
  reason: FailureReason;
}

/** One kind's calls: made while it is enabled, then used disabled and re-enabled. */
interface KindCase {
  name: string;
  kind: ProviderKind;
  /** The factor kind ListFactors shows for it, if it is a factor. */
  factorKind?: FactorKind;
  /** Enrols (and confirms) what the user logs in with; returns the login. */
  setup(tenant: string): Promise<{ login(): Promise<Outcome>; disabledLogin(): Promise<Outcome> }>;
  /** A new enrolment (or creation) of the kind. */
  enrol(tenant: string): Promise<unknown>;
  /** Whether Challenge offers the kind to the user. */
  offered(tenant: string): Promise<boolean>;
}

async function offers(tenant: string, provider: Provider, purpose = Purpose.SECOND_FACTOR): Promise<boolean> {
  const ch = await h.auth(tenant).challenge({ userId: purpose === Purpose.PASSWORDLESS ? "" : USER, purpose });
  return ch.providers.some((p) => p.provider === provider);
}

async function otpLogin(tenant: string, code: string): Promise<Outcome> {
  const ch = await h.auth(tenant).challenge({ userId: USER });
  const v = await h.auth(tenant).verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code, factorId: "" } } });
  return { verified: v.verified, reason: v.reason };
}

const CASES: KindCase[] = [
  {
    name: "TOTP",
    kind: ProviderKind.TOTP,
    factorKind: FactorKind.TOTP,
    async setup(tenant) {
      const e = await h.enrolment(tenant).enrol({ userId: USER, label: "Phone", spec: { case: "totp", value: { secret: TOTP_SECRET } } });
      const c = await h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId: e.factor?.id ?? "", proof: { case: "otpCode", value: nextTotp() } });
      expect(c.confirmed).toBe(true);
      return { login: () => otpLogin(tenant, nextTotp()), disabledLogin: () => otpLogin(tenant, nextTotp()) };
    },
    enrol: (tenant) => h.enrolment(tenant).enrol({ userId: USER, label: "Other phone", spec: { case: "totp", value: {} } }),
    offered: (tenant) => offers(tenant, Provider.TOTP),
  },
  {
    name: "HOTP",
    kind: ProviderKind.HOTP,
    factorKind: FactorKind.HOTP,
    async setup(tenant) {
      const e = await h.enrolment(tenant).enrol({
        userId: USER,
        label: "Token",
        spec: { case: "hotp", value: { secret: HOTP_SECRET, tokenProfile: TokenProfile.NITROKEY_PRO } },
      });
      const c = await h.enrolment(tenant).confirmEnrolment({
        userId: USER,
        factorId: e.factor?.id ?? "",
        proof: { case: "otpCode", value: hotpCode(HOTP_SECRET, "SHA1", 0, 6) },
      });
      expect(c.confirmed).toBe(true);
      let counter = 1;
      return {
        login: () => otpLogin(tenant, hotpCode(HOTP_SECRET, "SHA1", counter++, 6)),
        // The right next code, which a disabled HOTP refuses and does not burn.
        disabledLogin: () => otpLogin(tenant, hotpCode(HOTP_SECRET, "SHA1", counter, 6)),
      };
    },
    enrol: (tenant) => h.enrolment(tenant).enrol({ userId: USER, label: "Other token", spec: { case: "hotp", value: {} } }),
    offered: (tenant) => offers(tenant, Provider.HOTP),
  },
  {
    name: "WebAuthn second factor",
    kind: ProviderKind.WEBAUTHN,
    factorKind: FactorKind.WEBAUTHN,
    async setup(tenant) {
      const key = await fido2Key();
      await enrolKey(h, USER, key, { tenant });
      let last: PublicKeyCredentialRequestOptionsJSON | undefined;
      const login = async (): Promise<Outcome> => {
        const { transactionId, requestOptions } = await challenge2fa(h, USER, tenant);
        // Disabled, Challenge offers no options: the key signs the last ones it was given.
        const options = requestOptions ?? last;
        if (options === undefined) throw new Error("no request options");
        last = options;
        const v = await verifyAssertion(h, transactionId, await browser().get(options, key, { pin: PIN }), tenant);
        return { verified: v.verified, reason: v.reason };
      };
      return { login, disabledLogin: login };
    },
    enrol: (tenant) => startEnrolment(h, USER, { tenant }),
    offered: (tenant) => offers(tenant, Provider.WEBAUTHN),
  },
  {
    name: "WebAuthn passwordless",
    kind: ProviderKind.PASSWORDLESS,
    factorKind: FactorKind.PASSWORDLESS,
    async setup(tenant) {
      const key = await fido2Key();
      await enrolKey(h, USER, key, { tenant, passwordless: true });
      let last: PublicKeyCredentialRequestOptionsJSON | undefined;
      const login = async (): Promise<Outcome> => {
        const ch = await h.auth(tenant).challenge({ userId: "", purpose: Purpose.PASSWORDLESS });
        const offered = ch.providers[0]?.webauthnRequestOptionsJson;
        const options = offered === undefined ? last : (JSON.parse(offered) as PublicKeyCredentialRequestOptionsJSON);
        if (options === undefined) throw new Error("no request options");
        last = options;
        const v = await verifyAssertion(h, ch.transactionId, await browser().get(options, key, { pin: PIN }), tenant);
        return { verified: v.verified, reason: v.reason };
      };
      return { login, disabledLogin: login };
    },
    enrol: (tenant) => startEnrolment(h, USER, { tenant, passwordless: true }),
    offered: (tenant) => offers(tenant, Provider.WEBAUTHN, Purpose.PASSWORDLESS),
  },
  {
    name: "backup codes",
    kind: ProviderKind.BACKUP_CODES,
    async setup(tenant) {
      const { codes } = await h.backupCodes(tenant).generateBackupCodes({ userId: USER, count: 5 });
      let next = 0;
      const login = async (code: string): Promise<Outcome> => {
        const ch = await h.auth(tenant).challenge({ userId: USER });
        const v = await h.auth(tenant).verify({ transactionId: ch.transactionId, proof: { case: "backupCode", value: { code } } });
        return { verified: v.verified, reason: v.reason };
      };
      return {
        login: () => login(codes[next++] ?? ""),
        // An unused code: refused while disabled, and not spent (the re-enabled login redeems it).
        disabledLogin: () => login(codes[next] ?? ""),
      };
    },
    enrol: (tenant) => h.backupCodes(tenant).generateBackupCodes({ userId: USER, count: 5 }),
    offered: (tenant) => offers(tenant, Provider.BACKUP_CODE),
  },
  {
    name: "app passwords",
    kind: ProviderKind.APP_PASSWORDS,
    async setup(tenant) {
      const { password } = await h.appPasswords(tenant).createAppPassword({ userId: USER, name: "Mail", scopes: ["imap"] });
      const login = async (): Promise<Outcome> => {
        const v = await h.appPasswords(tenant).verifyAppPassword({ userId: USER, password, requiredScope: "imap" });
        return { verified: v.verified, reason: v.reason };
      };
      return { login, disabledLogin: login };
    },
    enrol: (tenant) => h.appPasswords(tenant).createAppPassword({ userId: USER, name: "Phone mail", scopes: ["imap"] }),
    // App passwords are not a Challenge provider: "offered" means the user's existing one still verifies.
    offered: async () => true,
  },
];

describe("each kind enabled, disabled and re-enabled", () => {
  for (const c of CASES) {
    it(`${c.name}: enrols, is offered and verifies; disabled, none of these; re-enabled, all again`, async () => {
      const tenant = `table-${c.kind}`;
      await h.tenant(tenant);
      const { login, disabledLogin } = await c.setup(tenant);
      const disabledFlags = async () => {
        const listed = (await h.enrolment(tenant).listFactors({ userId: USER })).factors.filter((f) => f.kind === c.factorKind);
        const state = (await h.admin(tenant).getUserState({ userId: USER })).factors.filter((f) => f.kind === c.factorKind);
        expect(listed.length).toBeGreaterThan(0);
        expect(state.map((f) => f.disabledByPolicy)).toEqual(listed.map((f) => f.disabledByPolicy));
        return listed.map((f) => f.disabledByPolicy);
      };

      // Enabled (the default: the tenant has no policy).
      expect(await c.offered(tenant)).toBe(true);
      expect(await login()).toEqual({ verified: true, reason: FailureReason.UNSPECIFIED });
      if (c.factorKind !== undefined) expect(await disabledFlags()).not.toContain(true);

      // Disabled.
      await setPolicy(tenant, { disabledKinds: [c.kind] });
      expect(await expectPrecondition(c.enrol(tenant), "PROVIDER_DISABLED")).toEqual([]);
      if (c.kind !== ProviderKind.APP_PASSWORDS) expect(await c.offered(tenant)).toBe(false);
      const before = await failures(tenant, USER);
      expect(await disabledLogin()).toEqual({ verified: false, reason: FailureReason.PROVIDER_DISABLED });
      // Counted by the throttle like any wrong proof.
      expect(await failures(tenant, USER)).toBe(before + 1);
      if (c.factorKind !== undefined) {
        expect(await disabledFlags()).not.toContain(false);
        // A factor handed back by another call says so too.
        const factor = (await h.enrolment(tenant).listFactors({ userId: USER })).factors.find((f) => f.kind === c.factorKind);
        const renamed = await h.enrolment(tenant).renameFactor({ userId: USER, factorId: factor?.id ?? "", label: "Renamed" });
        expect(renamed.factor?.disabledByPolicy).toBe(true);
      }

      // Re-enabled: the stored factor works again.
      await setPolicy(tenant, {});
      expect(await c.offered(tenant)).toBe(true);
      expect(await login()).toEqual({ verified: true, reason: FailureReason.UNSPECIFIED });
      await c.enrol(tenant);
      if (c.factorKind !== undefined) expect(await disabledFlags()).not.toContain(true);
    });
  }
});

describe("what else a disabled kind means", () => {
  it("requires enrolment when enforcement covers a user whose only factors are disabled", async () => {
    const tenant = "enforced-disabled";
    await h.tenant(tenant);
    await h.admin(tenant).setEnforcementPolicy({ enforced: true });
    await CASES[0]?.setup(tenant);
    const before = await h.auth(tenant).challenge({ userId: USER });
    expect([before.secondFactorRequired, before.enrolmentRequired]).toEqual([true, false]);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.TOTP] });
    const after = await h.auth(tenant).challenge({ userId: USER });
    expect([after.secondFactorRequired, after.enrolmentRequired, after.providers]).toEqual([false, true, []]);
  });

  it("judges an OTP code against the enabled OTP kind only when the other is off", async () => {
    const tenant = "otp-mixed";
    await h.tenant(tenant);
    const totp = CASES[0];
    const hotp = CASES[1];
    if (totp === undefined || hotp === undefined) throw new Error("cases");
    await totp.setup(tenant);
    const hotpLogins = await hotp.setup(tenant);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.TOTP] });
    // The TOTP factor's right code is refused as wrong: the HOTP factor judged it.
    expect(await otpLogin(tenant, nextTotp())).toEqual({ verified: false, reason: FailureReason.WRONG_CODE });
    expect(await hotpLogins.login()).toEqual({ verified: true, reason: FailureReason.UNSPECIFIED });
  });

  it("changes nothing stored when a disabled kind's proof is refused", async () => {
    const tenant = "disabled-nothing-burnt";
    await h.tenant(tenant);
    const logins = await CASES[1]?.setup(tenant);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.HOTP, ProviderKind.TOTP] });
    const row = async () =>
      (await h.app.db.query<{ t: string }>(`SELECT (to_jsonb(f) - 'last_used_at')::text AS t FROM factors f WHERE tenant_id = $1`, [tenant])).rows[0]?.t;
    const stored = await row();
    expect(await logins?.disabledLogin()).toEqual({ verified: false, reason: FailureReason.PROVIDER_DISABLED });
    expect(await row()).toBe(stored);
  });

  it("keeps the statements per call while a policy is set", async () => {
    const tenant = "counted-policy";
    await h.tenant(tenant);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.HOTP], totp: { allowedAlgorithms: [OtpAlgorithm.SHA1], allowedDigits: [6] } });
    const counted = async <T>(call: () => Promise<T>): Promise<[number, T]> => {
      h.db.reset();
      const r = await call();
      return [h.db.sent.length, r];
    };
    const [enrolled] = await counted(() => h.enrolment(tenant).enrol({ userId: USER, label: "Phone", spec: { case: "totp", value: { secret: TOTP_SECRET } } }));
    expect(enrolled).toBe(1);
    const [refused] = await counted(() => h.enrolment(tenant).enrol({ userId: USER, label: "Token", spec: { case: "hotp", value: {} } }).catch(() => undefined));
    expect(refused).toBe(1);
    const [challenged, ch] = await counted(() => h.auth(tenant).challenge({ userId: USER }));
    expect(challenged).toBe(1);
    const [verified] = await counted(() =>
      h.auth(tenant).verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code: "000000", factorId: "" } } }),
    );
    // Verified on the replica that answered the Challenge: one statement.
    expect(verified).toBe(1);
    const [generated] = await counted(() => h.backupCodes(tenant).generateBackupCodes({ userId: USER, count: 5 }));
    expect(generated).toBe(1);
    const [created, pw] = await counted(() => h.appPasswords(tenant).createAppPassword({ userId: USER, name: "Mail", scopes: ["imap"] }));
    expect(created).toBe(4);
    const [used] = await counted(() => h.appPasswords(tenant).verifyAppPassword({ userId: USER, password: pw.password, requiredScope: "imap" }));
    expect(used).toBe(1);
  });
});

describe("a kind turned off between two steps", () => {
  it("refuses a TOTP code on a transaction opened before TOTP was turned off, reading the policy afresh", async () => {
    const tenant = "login-disabled-between";
    await h.tenant(tenant);
    const logins = await CASES[0]?.setup(tenant);
    const code = nextTotp();
    const ch = await h.auth(tenant).challenge({ userId: USER });
    await setPolicy(tenant, { disabledKinds: [ProviderKind.TOTP] });
    h.db.reset();
    const v = await h.auth(tenant).verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code, factorId: "" } } });
    // The policy row changed since the Challenge, so the one statement stood aside and the read and write decided.
    expect([v.verified, v.reason, h.db.sent.length]).toEqual([false, FailureReason.PROVIDER_DISABLED, 2]);
    await setPolicy(tenant, {});
    expect(await logins?.login()).toEqual({ verified: true, reason: FailureReason.UNSPECIFIED });
  });

  it("refuses to confirm a pending OTP enrolment of a kind turned off since Enrol, without a throttle count", async () => {
    const tenant = "confirm-disabled";
    await h.tenant(tenant);
    const e = await h.enrolment(tenant).enrol({ userId: USER, label: "Phone", spec: { case: "totp", value: { secret: TOTP_SECRET } } });
    await setPolicy(tenant, { disabledKinds: [ProviderKind.TOTP] });
    const proof = { case: "otpCode" as const, value: nextTotp() };
    await expectPrecondition(h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId: e.factor?.id ?? "", proof }), "PROVIDER_DISABLED");
    expect(await failures(tenant, USER)).toBe(0);
    await setPolicy(tenant, {});
    const c = await h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId: e.factor?.id ?? "", proof });
    expect(c.confirmed).toBe(true);
  });

  it("answers a lapsed OTP enrolment ENROLMENT_EXPIRED with no throttle count and no refusal audited", async () => {
    const tenant = "confirm-lapsed";
    await h.tenant(tenant);
    const e = await h.enrolment(tenant).enrol({ userId: USER, label: "Phone", spec: { case: "totp", value: { secret: TOTP_SECRET } } });
    h.clock.advance(PENDING_TTL_MS + 1_000);
    const proof = { case: "otpCode" as const, value: nextTotp() };
    await expectPrecondition(h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId: e.factor?.id ?? "", proof }), "ENROLMENT_EXPIRED");
    const blocked = await h.app.db.query(`SELECT 1 FROM audit_events WHERE tenant_id = $1 AND kind = 'throttle.blocked'`, [tenant]);
    expect([await failures(tenant, USER), blocked.rowCount]).toEqual([0, 0]);
  });

  it("refuses to confirm a pending WebAuthn enrolment of a role turned off since Enrol", async () => {
    const tenant = "confirm-webauthn-disabled";
    await h.tenant(tenant);
    const key = await fido2Key();
    const { factorId, options } = await startEnrolment(h, USER, { tenant });
    const registration = await browser().create(options, key, { pin: PIN });
    await setPolicy(tenant, { disabledKinds: [ProviderKind.WEBAUTHN] });
    const attestation = { case: "webauthnAttestationJson" as const, value: JSON.stringify(registration) };
    await expectPrecondition(h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId, proof: attestation }), "PROVIDER_DISABLED");
    await setPolicy(tenant, {});
    expect((await h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId, proof: attestation })).confirmed).toBe(true);
  });

  it("refuses to resync a factor of a kind turned off, changing nothing", async () => {
    const tenant = "resync-disabled";
    await h.tenant(tenant);
    const e = await h.enrolment(tenant).enrol({
      userId: USER,
      label: "Token",
      spec: { case: "hotp", value: { secret: HOTP_SECRET, tokenProfile: TokenProfile.NITROKEY_PRO } },
    });
    const factorId = e.factor?.id ?? "";
    const confirmed = await h.enrolment(tenant).confirmEnrolment({ userId: USER, factorId, proof: { case: "otpCode", value: hotpCode(HOTP_SECRET, "SHA1", 0, 6) } });
    expect(confirmed.confirmed).toBe(true);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.HOTP] });
    const pair = { userId: USER, factorId, code1: hotpCode(HOTP_SECRET, "SHA1", 50, 6), code2: hotpCode(HOTP_SECRET, "SHA1", 51, 6) };
    const row = async () => (await h.app.db.query<{ t: string }>(`SELECT to_jsonb(f)::text AS t FROM factors f WHERE id = $1::uuid`, [factorId])).rows[0]?.t;
    const stored = await row();
    await expectPrecondition(h.enrolment(tenant).resyncFactor(pair), "PROVIDER_DISABLED");
    expect([await row(), await failures(tenant, USER)]).toEqual([stored, 0]);
    await setPolicy(tenant, {});
    expect((await h.enrolment(tenant).resyncFactor(pair)).resynced).toBe(true);
  });

  it("audits a Challenge with the kinds it offered, not the kinds turned off", async () => {
    const tenant = "challenged-audit";
    await h.tenant(tenant);
    await CASES[0]?.setup(tenant);
    await h.backupCodes(tenant).generateBackupCodes({ userId: USER, count: 5 });
    const audited = async () => {
      const ch = await h.auth(tenant).challenge({ userId: USER });
      const r = await h.app.db.query<{ details: { factor_kinds: string; backup_codes: number } }>(
        `SELECT details FROM audit_events WHERE tenant_id = $1 AND kind = 'login.challenged' AND details->>'transaction_id' = $2`,
        [tenant, ch.transactionId],
      );
      const details = r.rows[0]?.details;
      return [details?.factor_kinds, details?.backup_codes];
    };
    expect(await audited()).toEqual(["totp", 5]);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.TOTP, ProviderKind.BACKUP_CODES] });
    expect(await audited()).toEqual(["", 0]);
  });
});

describe("tenant isolation", () => {
  it("never lets one tenant's policy affect another's", async () => {
    const [off, on] = ["isolated-off", "isolated-on"];
    await h.tenant(off);
    await h.tenant(on);
    const offLogins = await CASES[0]?.setup(off);
    const onLogins = await CASES[0]?.setup(on);
    await setPolicy(off, {
      disabledKinds: [ProviderKind.TOTP, ProviderKind.APP_PASSWORDS],
      totp: undefined,
    });
    expect((await h.admin(on).getProviderPolicy({})).policy?.disabledKinds).toEqual([]);
    expect((await h.admin(off).getProviderPolicy({})).policy?.disabledKinds).toEqual([ProviderKind.TOTP, ProviderKind.APP_PASSWORDS]);
    expect(await offLogins?.login()).toEqual({ verified: false, reason: FailureReason.PROVIDER_DISABLED });
    expect(await onLogins?.login()).toEqual({ verified: true, reason: FailureReason.UNSPECIFIED });
    expect(await offers(on, Provider.TOTP)).toBe(true);
    expect((await h.enrolment(on).listFactors({ userId: USER })).factors.map((f) => f.disabledByPolicy)).toEqual([false]);
    await h.appPasswords(on).createAppPassword({ userId: USER, name: "Mail", scopes: ["imap"] });
    await expectPrecondition(h.appPasswords(off).createAppPassword({ userId: USER, name: "Mail", scopes: ["imap"] }), "PROVIDER_DISABLED");
  });
});

describe("limits at Enrol", () => {
  const hardwareOnly: PolicyRequest = {
    totp: { allowedAlgorithms: [OtpAlgorithm.SHA1, OtpAlgorithm.SHA256], allowedDigits: [6], hardwareOnly: true },
  };

  it("refuses a spec outside the TOTP limits naming the field, and changes nothing", async () => {
    const tenant = "limits-totp";
    await h.tenant(tenant);
    await setPolicy(tenant, hardwareOnly);
    const enrol = (value: { algorithm?: OtpAlgorithm; digits?: number; tokenProfile?: TokenProfile }) =>
      h.enrolment(tenant).enrol({ userId: USER, label: "Token", spec: { case: "totp", value } });
    const rows = async () => (await h.app.db.query(`SELECT 1 FROM factors WHERE tenant_id = $1`, [tenant])).rowCount;
    expect(await expectPrecondition(enrol({ algorithm: OtpAlgorithm.SHA512, tokenProfile: TokenProfile.GENERIC }), "PROVIDER_POLICY_LIMIT")).toEqual([
      "spec.totp.algorithm",
    ]);
    expect(await expectPrecondition(enrol({ digits: 8, tokenProfile: TokenProfile.GENERIC }), "PROVIDER_POLICY_LIMIT")).toEqual(["spec.totp.digits"]);
    expect(await expectPrecondition(enrol({}), "PROVIDER_POLICY_LIMIT")).toEqual(["spec.totp.token_profile"]);
    expect(await rows()).toBe(0);
    // Within the limits: a Nitrokey Pro's SHA1, 6 digits; and a generic token's SHA256.
    await enrol({ tokenProfile: TokenProfile.NITROKEY_PRO });
    await enrol({ algorithm: OtpAlgorithm.SHA256, tokenProfile: TokenProfile.GENERIC });
    expect(await rows()).toBe(2);
    // HOTP has no TOTP limits: an 8-digit HOTP token enrols.
    await h.enrolment(tenant).enrol({ userId: USER, label: "HOTP", spec: { case: "hotp", value: { digits: 8 } } });
  });

  it("caps app passwords at the maximum lifetime, refusing a longer ttl by name", async () => {
    const tenant = "limits-app-passwords";
    await h.tenant(tenant);
    const day = 86_400_000;
    await setPolicy(tenant, { appPasswords: { maxLifetime: durationFromMs(30 * day) } });
    const create = (ttlMs?: number) =>
      h.appPasswords(tenant).createAppPassword({ userId: USER, name: "Mail", scopes: ["imap"], ...(ttlMs === undefined ? {} : { ttl: durationFromMs(ttlMs) }) });
    expect(await expectPrecondition(create(31 * day), "PROVIDER_POLICY_LIMIT")).toEqual(["ttl"]);
    const now = h.clock.now().getTime();
    const unset = await create();
    expect(Number(unset.appPassword?.expiresAt?.seconds) * 1000).toBe(now + 30 * day);
    const shorter = await create(day);
    expect(Number(shorter.appPassword?.expiresAt?.seconds) * 1000).toBe(now + day);
    // Fractions of a millisecond, in the ttl and in the maximum, are answers, not INTERNAL.
    await setPolicy(tenant, { appPasswords: { maxLifetime: { seconds: 3600n, nanos: 500_000 } } });
    // Stored in whole milliseconds.
    expect((await h.admin(tenant).getProviderPolicy({})).policy?.appPasswords?.maxLifetime?.nanos).toBe(1_000_000);
    const ttl = (nanos: number) => h.appPasswords(tenant).createAppPassword({ userId: USER, name: "Mail", scopes: ["imap"], ttl: { seconds: 3600n, nanos } });
    expect(await expectPrecondition(ttl(2_000_000), "PROVIDER_POLICY_LIMIT")).toEqual(["ttl"]);
    await ttl(0);
  });
});

describe("SetProviderPolicy and GetProviderPolicy", () => {
  it("defaults to everything enabled and no limits, and returns what it stored", async () => {
    const tenant = "set-get";
    await h.tenant(tenant);
    const initial = (await h.admin(tenant).getProviderPolicy({})).policy;
    expect([initial?.disabledKinds, initial?.totp, initial?.appPasswords]).toEqual([[], undefined, undefined]);
    const set = await setPolicy(tenant, {
      disabledKinds: [ProviderKind.APP_PASSWORDS, ProviderKind.HOTP, ProviderKind.HOTP],
      totp: { allowedAlgorithms: [OtpAlgorithm.SHA1, OtpAlgorithm.SHA1], allowedDigits: [8, 6], hardwareOnly: true },
    });
    const got = await h.admin(tenant).getProviderPolicy({});
    expect(got.policy).toEqual(set.policy);
    expect(got.policy?.disabledKinds).toEqual([ProviderKind.HOTP, ProviderKind.APP_PASSWORDS]);
    expect(got.policy?.totp).toMatchObject({ allowedAlgorithms: [OtpAlgorithm.SHA1], allowedDigits: [8, 6], hardwareOnly: true });
  });

  it("audits every change with the admin key's id", async () => {
    const tenant = "audited";
    await h.tenant(tenant);
    await setPolicy(tenant, { disabledKinds: [ProviderKind.BACKUP_CODES] });
    await setPolicy(tenant, {});
    const r = await h.app.db.query<{ api_key_id: string; details: Record<string, unknown> }>(
      `SELECT api_key_id, details FROM audit_events WHERE tenant_id = $1 AND kind = 'admin.provider_policy_set' ORDER BY id`,
      [tenant],
    );
    const keys = await h.app.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE tenant_id = $1 AND role = 'admin'`, [tenant]);
    expect(r.rows.map((e) => e.api_key_id)).toEqual([keys.rows[0]?.id, keys.rows[0]?.id]);
    expect(r.rows.map((e) => e.details["disabled_kinds"])).toEqual(["backup_codes", ""]);
  });

  const BAD: { name: string; request: PolicyRequest; fields: string[] }[] = [
    { name: "an unknown kind", request: { disabledKinds: [ProviderKind.TOTP, 99 as ProviderKind] }, fields: ["disabled_kinds[1]"] },
    { name: "the unspecified kind", request: { disabledKinds: [ProviderKind.UNSPECIFIED] }, fields: ["disabled_kinds[0]"] },
    {
      name: "empty TOTP lists",
      request: { totp: { allowedAlgorithms: [], allowedDigits: [], hardwareOnly: true } },
      fields: ["totp.allowed_algorithms", "totp.allowed_digits"],
    },
    {
      name: "an unknown algorithm and digit count",
      request: { totp: { allowedAlgorithms: [OtpAlgorithm.UNSPECIFIED, 7 as OtpAlgorithm], allowedDigits: [6, 7] } },
      fields: ["totp.allowed_algorithms[0]", "totp.allowed_algorithms[1]", "totp.allowed_digits[1]"],
    },
    {
      name: "TOTP limits while TOTP is disabled",
      request: { disabledKinds: [ProviderKind.TOTP], totp: { allowedAlgorithms: [OtpAlgorithm.SHA1], allowedDigits: [6] } },
      fields: ["totp"],
    },
    {
      name: "an app password lifetime while app passwords are disabled",
      request: { disabledKinds: [ProviderKind.APP_PASSWORDS], appPasswords: { maxLifetime: durationFromMs(86_400_000) } },
      fields: ["app_passwords"],
    },
    { name: "app password limits without a lifetime", request: { appPasswords: {} }, fields: ["app_passwords.max_lifetime"] },
    {
      name: "a lifetime over 10 years",
      request: { appPasswords: { maxLifetime: { seconds: 11n * 366n * 86_400n, nanos: 0 } } },
      fields: ["app_passwords.max_lifetime"],
    },
    { name: "a lifetime under a minute", request: { appPasswords: { maxLifetime: { seconds: 59n, nanos: 0 } } }, fields: ["app_passwords.max_lifetime"] },
    { name: "a malformed duration", request: { appPasswords: { maxLifetime: { seconds: 600n, nanos: -5 } } }, fields: ["app_passwords.max_lifetime"] },
  ];
  for (const bad of BAD) {
    it(`refuses ${bad.name} naming the field, and changes nothing`, async () => {
      const tenant = `bad-${BAD.indexOf(bad)}`;
      await h.tenant(tenant);
      await setPolicy(tenant, { disabledKinds: [ProviderKind.HOTP] });
      const state = async () =>
        (
          await h.app.db.query<{ t: string }>(
            `SELECT (SELECT count(*) FROM audit_events WHERE tenant_id = $1)::text || (SELECT to_jsonb(p)::text FROM provider_policies p WHERE tenant_id = $1) AS t`,
            [tenant],
          )
        ).rows[0]?.t;
      const before = await state();
      expect(await invalidFields(setPolicy(tenant, bad.request))).toEqual(bad.fields);
      expect(await state()).toBe(before);
    });
  }
});
