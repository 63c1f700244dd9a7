import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import vectors from "./fixtures/otp-rfc.json" with { type: "json" };
import {
  ManualClock,
  NitrokeyOtpDevice,
  OtpStatus,
  loadOtpDevice,
  oathCode,
  parseOtpDeviceState,
  saveOtpDevice,
  totpCode,
  type OathAlgorithm,
} from "../../emulator/index.js";

const RFC_SECRET = "3132333435363738393031323334353637383930";
const ADMIN = "12345678";
const USER = "123456";
const TEMP = "temporary-password-123456";

function adminDevice(options: ConstructorParameters<typeof NitrokeyOtpDevice>[0] = {}): NitrokeyOtpDevice {
  const device = new NitrokeyOtpDevice(options);
  device.adminAuthenticate(ADMIN, TEMP);
  return device;
}

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { status?: number }).status;
  }
  return undefined;
}

describe("OATH vectors (RFC 4226 / RFC 6238)", () => {
  it("reproduces every HOTP vector from a Nitrokey Pro slot", () => {
    const device = adminDevice();
    device.writeHotpSlot(0, { name: "rfc4226", secretHex: RFC_SECRET, digits: 6, counter: 0 }, TEMP);
    const codes = vectors.hotp.map(() => device.getHotpCode(0));
    expect(codes).toEqual(vectors.hotp.map((v) => v.code));
  });

  it("reproduces every SHA1 TOTP vector from a slot at the vector's time", () => {
    const sha1 = vectors.totp.filter((v) => v.algorithm === "SHA1");
    expect(sha1.length).toBeGreaterThan(0);
    const device = adminDevice();
    for (const v of sha1) {
      device.writeTotpSlot(3, { name: "rfc6238", secretHex: v.secret_hex, digits: v.digits as 8, intervalSeconds: v.period }, TEMP);
      device.setTime(v.time);
      expect(device.getTotpCode(3)).toBe(v.code);
    }
  });

  it("refuses SHA256 and SHA512 slots with NOT_SUPPORTED, while the generic computation matches their vectors", () => {
    const device = adminDevice();
    const others = vectors.totp.filter((v) => v.algorithm !== "SHA1");
    expect(others.length).toBeGreaterThan(0);
    for (const v of others) {
      const status = statusOf(() =>
        device.writeTotpSlot(0, { name: "sha2", secretHex: v.secret_hex, digits: 8, algorithm: v.algorithm as OathAlgorithm }, TEMP),
      );
      expect(status).toBe(OtpStatus.NOT_SUPPORTED);
      expect(totpCode(Buffer.from(v.secret_hex, "hex"), v.time, v.period, v.digits, v.algorithm as OathAlgorithm)).toBe(v.code);
    }
  });
});

describe("agreement with Debian's oathtool", () => {
  const secret = "8d1f0c7e55aa0102030405060708090a0b0c0d0e0f10111213141516";

  it("gives oathtool's HOTP codes for 6 and 8 digits over many counters", () => {
    for (const digits of [6, 8] as const) {
      for (const start of [0, 1000, 4_294_967_290]) {
        const expected = execFileSync("oathtool", ["--hotp", "-d", String(digits), "-c", String(start), "-w", "24", secret], { encoding: "utf8" })
          .trim()
          .split("\n");
        const device = adminDevice();
        device.writeHotpSlot(1, { name: "tool", secretHex: secret, digits, counter: start }, TEMP);
        expect(expected.map(() => device.getHotpCode(1))).toEqual(expected);
      }
    }
  });

  it("gives oathtool's TOTP codes at many times for 30 s and 60 s intervals and 6 or 8 digits", () => {
    for (const [interval, digits] of [[30, 6], [30, 8], [60, 6], [60, 8]] as const) {
      for (const t of [1, 1_111_111_109, 1_700_000_000, 2_000_000_000]) {
        const expected = execFileSync(
          "oathtool",
          ["--totp", "-d", String(digits), "-s", `${interval}s`, "-N", `@${t}`, "-w", "15", secret],
          { encoding: "utf8" },
        )
          .trim()
          .split("\n");
        const device = adminDevice();
        device.writeTotpSlot(14, { name: "tool", secretHex: secret, digits, intervalSeconds: interval }, TEMP);
        const got = expected.map((_, i) => {
          device.setTime(t + i * interval);
          return device.getTotpCode(14);
        });
        expect(got).toEqual(expected);
      }
    }
  });
});

describe("libnitrokey semantics", () => {
  it("counts wrong user PINs down to a lock that only the admin PIN lifts", () => {
    const device = new NitrokeyOtpDevice();
    expect(statusOf(() => device.userAuthenticate("000000", TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
    expect(device.getUserRetryCount()).toBe(2);
    device.userAuthenticate(USER, TEMP);
    expect(device.getUserRetryCount()).toBe(3);
    for (let i = 0; i < 3; i++) expect(statusOf(() => device.userAuthenticate("000000", TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
    expect(device.getUserRetryCount()).toBe(0);
    expect(statusOf(() => device.userAuthenticate(USER, TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
    device.unlockUserPin(ADMIN, "654321");
    expect(device.getUserRetryCount()).toBe(3);
    device.userAuthenticate("654321", TEMP);
  });

  it("locks the admin PIN after three wrong attempts, even against the right PIN", () => {
    const device = new NitrokeyOtpDevice();
    for (let i = 0; i < 3; i++) expect(statusOf(() => device.adminAuthenticate("87654321", TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
    expect(device.getAdminRetryCount()).toBe(0);
    expect(statusOf(() => device.adminAuthenticate(ADMIN, TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
    expect(statusOf(() => device.unlockUserPin(ADMIN, USER))).toBe(OtpStatus.WRONG_PASSWORD);
  });

  it("refuses slot writes and erases without admin authorisation", () => {
    const device = new NitrokeyOtpDevice();
    expect(statusOf(() => device.writeHotpSlot(0, { name: "x", secretHex: RFC_SECRET }, TEMP))).toBe(OtpStatus.NOT_AUTHORIZED);
    device.adminAuthenticate(ADMIN, TEMP);
    expect(statusOf(() => device.writeTotpSlot(0, { name: "x", secretHex: RFC_SECRET }, "another-password"))).toBe(OtpStatus.NOT_AUTHORIZED);
    device.writeTotpSlot(0, { name: "x", secretHex: RFC_SECRET }, TEMP);
    device.powerCycle();
    expect(statusOf(() => device.eraseTotpSlot(0, TEMP))).toBe(OtpStatus.NOT_AUTHORIZED);
    expect(device.getTotpSlotName(0)).toBe("x");
  });

  it("answers SLOT_NOT_PROGRAMMED for an empty or erased slot and INVALID_SLOT past the slot model", () => {
    const device = adminDevice();
    expect(statusOf(() => device.getHotpCode(2))).toBe(OtpStatus.SLOT_NOT_PROGRAMMED);
    expect(statusOf(() => device.getTotpSlotName(7))).toBe(OtpStatus.SLOT_NOT_PROGRAMMED);
    device.writeHotpSlot(2, { name: "h", secretHex: RFC_SECRET }, TEMP);
    device.eraseHotpSlot(2, TEMP);
    expect(statusOf(() => device.getHotpCode(2))).toBe(OtpStatus.SLOT_NOT_PROGRAMMED);
    expect(statusOf(() => device.getHotpCode(3))).toBe(OtpStatus.INVALID_SLOT);
    expect(statusOf(() => device.getTotpCode(15))).toBe(OtpStatus.INVALID_SLOT);
    device.writeTotpSlot(14, { name: "last", secretHex: RFC_SECRET }, TEMP);
  });

  it("validates names, secrets and digits with libnitrokey's codes", () => {
    const device = adminDevice();
    const write = (name: string, secretHex: string, digits: 6 | 8 = 6) =>
      statusOf(() => device.writeTotpSlot(0, { name, secretHex, digits }, TEMP));
    expect(write("", RFC_SECRET)).toBe(OtpStatus.NO_NAME_ERROR);
    expect(write("a".repeat(16), RFC_SECRET)).toBe(OtpStatus.TOO_LONG_STRING);
    expect(write("a".repeat(15), RFC_SECRET)).toBeUndefined();
    expect(write("ok", "zz")).toBe(OtpStatus.INVALID_HEX_STRING);
    expect(write("ok", "abc")).toBe(OtpStatus.INVALID_HEX_STRING);
    expect(write("ok", "ab".repeat(41))).toBe(OtpStatus.TOO_LONG_STRING);
    expect(write("ok", "ab".repeat(40))).toBeUndefined();
    expect(write("ok", RFC_SECRET, 7 as 6)).toBe(OtpStatus.NOT_SUPPORTED);
    const old = adminDevice({ profile: "nitrokey-pro-0.7" });
    expect(statusOf(() => old.writeTotpSlot(0, { name: "ok", secretHex: "ab".repeat(21) }, TEMP))).toBe(OtpStatus.TOO_LONG_STRING);
  });

  it("keeps the old secret when a slot is rewritten with an empty secret", () => {
    const device = adminDevice();
    device.writeHotpSlot(0, { name: "first", secretHex: RFC_SECRET, counter: 0 }, TEMP);
    device.writeHotpSlot(0, { name: "renamed", secretHex: "", counter: 5 }, TEMP);
    expect(device.getHotpSlotName(0)).toBe("renamed");
    expect(device.getHotpCode(0)).toBe(vectors.hotp[5]!.code);
  });

  it("lets soft set_time go forward but refuses an unset clock or going back", () => {
    const device = adminDevice();
    expect(statusOf(() => device.setTimeSoft(1_700_000_000))).toBe(OtpStatus.TIMESTAMP_WARNING);
    device.setTime(1_700_000_000);
    device.setTimeSoft(1_700_000_030);
    expect(statusOf(() => device.setTimeSoft(1_699_999_999))).toBe(OtpStatus.TIMESTAMP_WARNING);
    expect(device.getDeviceTime()).toBe(1_700_000_030);
    device.setTime(1_000);
    expect(device.getDeviceTime()).toBe(1_000);
  });

  it("gives stale codes when the host has not set the time recently", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const device = adminDevice({ clock });
    device.writeTotpSlot(0, { name: "t", secretHex: RFC_SECRET }, TEMP);
    device.syncTimeFromHost();
    const fresh = device.getTotpCode(0);
    clock.advance(10 * 60_000);
    const now = Math.floor(clock.now().getTime() / 1000);
    expect(device.getTotpCode(0)).toBe(fresh);
    expect(device.getTotpCode(0)).not.toBe(totpCode(Buffer.from(RFC_SECRET, "hex"), now, 30, 6));
    device.syncTimeFromHost();
    expect(device.getTotpCode(0)).toBe(totpCode(Buffer.from(RFC_SECRET, "hex"), now, 30, 6));
  });

  it("needs a user authentication for codes when OTP requires the user PIN", () => {
    const device = adminDevice();
    device.writeHotpSlot(0, { name: "h", secretHex: RFC_SECRET }, TEMP);
    device.writeConfig({ otpRequiresUserPin: true }, TEMP);
    expect(statusOf(() => device.getHotpCode(0))).toBe(OtpStatus.NOT_AUTHORIZED);
    device.userAuthenticate(USER, "user-temp");
    expect(statusOf(() => device.getHotpCode(0, "wrong-temp"))).toBe(OtpStatus.NOT_AUTHORIZED);
    expect(device.getHotpCode(0, "user-temp")).toBe(vectors.hotp[0]!.code);
  });

  it("stores a 64-bit HOTP counter, except on Storage 0.53 whose text counter breaks past 8 digits", () => {
    const big = 2n ** 64n - 2n;
    const pro = adminDevice();
    pro.writeHotpSlot(0, { name: "h", secretHex: RFC_SECRET, counter: big }, TEMP);
    expect(pro.getHotpCode(0)).toBe(oathCode(Buffer.from(RFC_SECRET, "hex"), big, 6));
    expect(pro.getHotpCounter(0)).toBe(big + 1n);
    const storage = adminDevice({ profile: "nitrokey-storage-0.53" });
    storage.writeHotpSlot(0, { name: "h", secretHex: RFC_SECRET, counter: 99_999_999 }, TEMP);
    expect(storage.getHotpCode(0)).toBe(oathCode(Buffer.from(RFC_SECRET, "hex"), 99_999_999n, 6));
    expect(storage.getHotpCounter(0)).not.toBe(100_000_000n);
    storage.writeHotpSlot(0, { name: "h", secretHex: "", counter: 123_456_789 }, TEMP);
    expect(storage.getHotpCode(0)).not.toBe(oathCode(Buffer.from(RFC_SECRET, "hex"), 123_456_789n, 6));
  });
});

describe("OTP faults", () => {
  it("drifts the device clock by the configured skew", () => {
    const device = adminDevice({ faults: { clockSkewSeconds: 95 } });
    device.writeTotpSlot(0, { name: "t", secretHex: RFC_SECRET }, TEMP);
    device.setTime(1_700_000_000);
    expect(device.getTotpCode(0)).toBe(totpCode(Buffer.from(RFC_SECRET, "hex"), 1_700_000_095, 30, 6));
  });

  it("gives 1970 codes when the host never sets the time", () => {
    const device = adminDevice({ clock: new ManualClock(Date.UTC(2026, 5, 1)), faults: { clockUnset: true } });
    device.writeTotpSlot(0, { name: "t", secretHex: RFC_SECRET }, TEMP);
    device.syncTimeFromHost();
    expect(device.getDeviceTime()).toBe(0);
    expect(device.getTotpCode(0)).toBe(totpCode(Buffer.from(RFC_SECRET, "hex"), 0, 30, 6));
  });

  it("jumps the HOTP counter ahead once for a desync and repeats the last code for a replay", () => {
    const device = adminDevice({ faults: { hotpDesyncSteps: 4 } });
    device.writeHotpSlot(0, { name: "h", secretHex: RFC_SECRET }, TEMP);
    expect(device.getHotpCode(0)).toBe(vectors.hotp[4]!.code);
    expect(device.getHotpCode(0)).toBe(vectors.hotp[5]!.code);
    device.faults = { hotpReplay: true };
    expect(device.getHotpCode(0)).toBe(vectors.hotp[5]!.code);
    device.faults = {};
    expect(device.getHotpCode(0)).toBe(vectors.hotp[6]!.code);
  });

  it("switches on PIN lockout, PIN-protected OTP and erased slots as device state", () => {
    const device = adminDevice();
    device.writeHotpSlot(0, { name: "h", secretHex: RFC_SECRET }, TEMP);
    device.injectDeviceFaults({ pinProtectedOtp: true });
    expect(statusOf(() => device.getHotpCode(0))).toBe(OtpStatus.NOT_AUTHORIZED);
    device.injectDeviceFaults({ pinLockout: true });
    expect(statusOf(() => device.userAuthenticate(USER, TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
    device.injectDeviceFaults({ unprogrammedSlot: true });
    expect(statusOf(() => device.getHotpSlotName(0))).toBe(OtpStatus.SLOT_NOT_PROGRAMMED);
  });
});

describe("state file", () => {
  it("saves a token to JSON and loads it with its slots, counters, PINs and time", async () => {
    const dir = await mkdtemp(join(tmpdir(), "twofold-otp-"));
    try {
      const device = adminDevice({ profile: "nitrokey-storage" });
      device.writeHotpSlot(1, { name: "h", secretHex: RFC_SECRET, counter: 2 }, TEMP);
      device.writeTotpSlot(5, { name: "t", secretHex: RFC_SECRET, intervalSeconds: 60, digits: 8 }, TEMP);
      device.setTime(1_700_000_000);
      expect(statusOf(() => device.userAuthenticate("bad", TEMP))).toBe(OtpStatus.WRONG_PASSWORD);
      expect(device.getHotpCode(1)).toBe(vectors.hotp[2]!.code);
      const path = join(dir, "token.json");
      await saveOtpDevice(device, path);
      expect(JSON.parse(await readFile(path, "utf8")).profile).toBe("nitrokey-storage");
      const loaded = await loadOtpDevice(path);
      expect(loaded.profile.model).toBe("Nitrokey Storage");
      expect(loaded.getUserRetryCount()).toBe(2);
      expect(loaded.getHotpCode(1)).toBe(vectors.hotp[3]!.code);
      expect(loaded.getTotpCode(5)).toBe(totpCode(Buffer.from(RFC_SECRET, "hex"), 1_700_000_000, 60, 8));
      expect(statusOf(() => loaded.writeTotpSlot(0, { name: "x", secretHex: "" }, TEMP))).toBe(OtpStatus.NOT_AUTHORIZED);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a state file that is not a token, naming the bad field", () => {
    const good = new NitrokeyOtpDevice().snapshot();
    expect(() => parseOtpDeviceState(JSON.stringify({ ...good, format: "other" }))).toThrow(/format/);
    expect(() => parseOtpDeviceState(JSON.stringify({ ...good, totp: good.totp.slice(1) }))).toThrow(/totp/);
    expect(() => parseOtpDeviceState(JSON.stringify({ ...good, hotp: [{ name: "h", secretHex: "", digits: 6, counter: "-1" }, null, null] }))).toThrow(
      /hotp\[0\]/,
    );
    expect(parseOtpDeviceState(JSON.stringify(good))).toEqual(good);
  });
});
