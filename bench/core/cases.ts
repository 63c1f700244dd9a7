/**
 * The cases `core` measures: twofold's verification core (TOTP window for
 * every outcome, algorithm and length; HOTP window), the backup-code and
 * app-password hashes, the WebAuthn assertion check, and the baselines they
 * are compared with in the same run (otplib's verifySync over the same
 * steps, the floor of bare createHmac calls, @simplewebauthn/server).
 */
import { createHmac } from "node:crypto";
import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { verifySync } from "otplib";
import { pino } from "pino";
import type { Bench } from "../common/interleave.js";
import {
  APP_PASSWORD_HASH_PURPOSE,
  APP_PASSWORD_SYMBOLS,
  BACKUP_CODE_HASH_PURPOSE,
  BACKUP_CODE_SYMBOLS,
  createKeyring,
  DUMMY_TOTP_KEY,
  HOTP_LOOK_AHEAD,
  HOTP_LOOK_BEHIND,
  HOTP_RESYNC_RANGE,
  hotpCode,
  normaliseCrockford,
  TOTP_STEPS_PER_VERIFY,
  verifyAssertion,
  verifyHotpWindow,
  verifyTotpWindow,
  type OtpAlgorithm,
  type OtpDigits,
} from "../targets.js";
import { assertionFixture, HOTP_EXPECTED, KEYRING_KEY, matchingTotp, NOW, PEPPER, PERIOD, RFC6238_KEYS, wrongHotp, wrongTotp, type AssertionFixture } from "./fixtures.js";

/** A measured case and how to read it. */
export interface CoreCase extends Bench {
  group: "TOTP" | "HOTP" | "backup code" | "app password" | "WebAuthn" | "baseline";
  /** HMACs per op: "counted" reads the core's own counter; a number is known by construction. */
  hmacs: "counted" | number | undefined;
  /** The hash its HMACs use (for the floor ratio). */
  hmacAlgorithm?: OtpAlgorithm;
  /** Names of the baseline cases it is compared with. */
  otplib?: string;
  floor?: string;
  simplewebauthn?: string;
  /** Cases of one group must do the same HMACs (constant work). */
  sameWork?: string;
}

const ALGORITHMS: OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];
const DIGITS: OtpDigits[] = [6, 8];
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Keeps results alive so the JIT cannot drop a call whose result is unused. */
export const sink = { value: undefined as unknown };

/** The floor: `n` bare HMACs over an 8-byte counter, the least any window of `n` steps can cost. */
function floorCase(algorithm: OtpAlgorithm, n: number): CoreCase {
  const key = RFC6238_KEYS[algorithm];
  const name = algorithm.toLowerCase();
  const counter = Buffer.alloc(8);
  return {
    name: `floor: ${n} × createHmac ${algorithm}`,
    group: "baseline",
    hmacs: n,
    hmacAlgorithm: algorithm,
    run: () => {
      let last: Buffer | undefined;
      for (let i = 0; i < n; i++) {
        counter.writeUInt32BE(i, 4);
        last = createHmac(name, key).update(counter).digest();
      }
      sink.value = last;
    },
  };
}

/** Every case, with the WebAuthn fixtures made by emulated keys. */
export async function coreCases(): Promise<CoreCase[]> {
  const cases: CoreCase[] = [];
  const window = { nowSeconds: NOW, driftSteps: 0, window: 1 };
  for (const algorithm of ALGORITHMS) {
    for (const digits of DIGITS) {
      const key = RFC6238_KEYS[algorithm];
      const good = matchingTotp(algorithm, digits);
      const bad = wrongTotp(key, algorithm, digits, good, digits - 1);
      const input = { key, algorithm, digits, period: PERIOD as 30, ...window };
      const tag = `${algorithm}, ${digits} digits`;
      const otplib = `otplib verifySync, ${tag}, ±10 steps`;
      const floor = `floor: ${TOTP_STEPS_PER_VERIFY} × createHmac ${algorithm}`;
      const same = `totp ${tag}`;
      cases.push({ name: `TOTP ${tag}: matching code`, group: "TOTP", hmacs: "counted", hmacAlgorithm: algorithm, otplib, floor, sameWork: same, run: () => (sink.value = verifyTotpWindow({ ...input, code: good })) });
      cases.push({ name: `TOTP ${tag}: wrong code`, group: "TOTP", hmacs: "counted", hmacAlgorithm: algorithm, otplib, floor, sameWork: same, run: () => (sink.value = verifyTotpWindow({ ...input, code: bad })) });
      if (algorithm === "SHA1" && digits === 6) {
        const short = good.slice(0, 5);
        cases.push({ name: `TOTP ${tag}: wrong-length code`, group: "TOTP", hmacs: "counted", hmacAlgorithm: algorithm, otplib, floor, sameWork: same, run: () => (sink.value = verifyTotpWindow({ ...input, code: short })) });
        cases.push({
          name: `TOTP ${tag}: unknown user (dummy key)`,
          group: "TOTP",
          hmacs: "counted",
          hmacAlgorithm: algorithm,
          otplib,
          floor,
          sameWork: same,
          run: () => (sink.value = verifyTotpWindow({ ...DUMMY_TOTP_KEY, ...window, code: bad })),
        });
      }
      // otplib over the same ±10 steps, with a code matching none of them (a full search).
      const secret = base32(key);
      const hash = algorithm.toLowerCase() as "sha1" | "sha256" | "sha512";
      cases.push({
        name: otplib,
        group: "baseline",
        hmacs: undefined,
        run: () => (sink.value = verifySync({ secret, token: bad, algorithm: hash, digits, period: PERIOD, epoch: NOW, epochTolerance: 10 * PERIOD })),
      });
    }
    cases.push(floorCase(algorithm, TOTP_STEPS_PER_VERIFY));
  }

  // HOTP: a user with an HOTP factor; the window runs look-behind, look-ahead and the resync search.
  const hotpKey = RFC6238_KEYS.SHA1;
  const hotpGood = hotpCode(hotpKey, "SHA1", HOTP_EXPECTED + 3, 6);
  const hotpBad = wrongHotp(hotpKey, hotpGood);
  const hotpInput = { key: hotpKey, algorithm: "SHA1" as const, digits: 6 as const, expectedCounter: HOTP_EXPECTED, lookAhead: HOTP_LOOK_AHEAD, resyncRange: HOTP_RESYNC_RANGE, lookBehind: HOTP_LOOK_BEHIND };
  const hotpFloor = `floor: ${TOTP_STEPS_PER_VERIFY} × createHmac SHA1`;
  cases.push({ name: "HOTP SHA1, 6 digits: code 3 ahead", group: "HOTP", hmacs: "counted", hmacAlgorithm: "SHA1", floor: hotpFloor, sameWork: "hotp", run: () => (sink.value = verifyHotpWindow({ ...hotpInput, code: hotpGood })) });
  cases.push({ name: "HOTP SHA1, 6 digits: wrong code", group: "HOTP", hmacs: "counted", hmacAlgorithm: "SHA1", floor: hotpFloor, sameWork: "hotp", run: () => (sink.value = verifyHotpWindow({ ...hotpInput, code: hotpBad })) });

  // Backup codes and app passwords: normalise, then one HMAC-SHA256 under the pepper's purpose key.
  const keyring = createKeyring([{ id: "bench", key: KEYRING_KEY }], PEPPER);
  const backupCode = "7K3M-Q9XW-2DFH-TR8N";
  const appPassword = "7K3MQ-9XW2D-FHTR8-NPC4V-BJ6Y0";
  const sha256Floor = "floor: 1 × createHmac SHA256";
  cases.push({
    name: "backup code: normalise + keyed hash",
    group: "backup code",
    hmacs: 1,
    hmacAlgorithm: "SHA256",
    floor: sha256Floor,
    run: () => (sink.value = keyring.keyedHash(BACKUP_CODE_HASH_PURPOSE, normaliseCrockford(backupCode, BACKUP_CODE_SYMBOLS) ?? "")),
  });
  cases.push({
    name: "app password: normalise + keyed hash",
    group: "app password",
    hmacs: 1,
    hmacAlgorithm: "SHA256",
    floor: sha256Floor,
    run: () => (sink.value = keyring.keyedHash(APP_PASSWORD_HASH_PURPOSE, normaliseCrockford(appPassword, APP_PASSWORD_SYMBOLS) ?? "")),
  });
  const floorKey = Buffer.alloc(32, 3);
  cases.push({ name: sha256Floor, group: "baseline", hmacs: 1, hmacAlgorithm: "SHA256", run: () => (sink.value = createHmac("sha256", floorKey).update(backupCode).digest()) });

  // WebAuthn: the service's assertion check beside the library call it wraps, on the same assertions.
  const logger = pino({ level: "silent" });
  const fixtures: AssertionFixture[] = [await assertionFixture("nitrokey-fido2", -7), await assertionFixture("nitrokey-3-xn", -8)];
  for (const f of fixtures) {
    const lib = `@simplewebauthn/server verifyAuthenticationResponse, ${f.name}`;
    const rp = { rpId: f.rpId, rpName: "bench", allowedOrigins: [f.origin], allowedAaguids: [] };
    const credential = { credential_id: f.credentialId, public_key: Buffer.from(f.publicKey), transports: [] };
    cases.push({
      name: `WebAuthn assertion, ${f.name}: twofold's check`,
      group: "WebAuthn",
      hmacs: undefined,
      simplewebauthn: lib,
      async: true,
      run: async () => {
        const r = await verifyAssertion({ logger }, { response: f.response, challenge: f.challenge, rp, role: "webauthn", credential });
        if (!r.ok) throw new Error("the fixture assertion did not verify");
        sink.value = r;
      },
    });
    cases.push({
      name: lib,
      group: "baseline",
      hmacs: undefined,
      async: true,
      run: async () => {
        sink.value = await verifyAuthenticationResponse({
          response: f.response,
          expectedChallenge: f.challenge,
          expectedOrigin: f.origin,
          expectedRPID: f.rpId,
          requireUserVerification: false,
          credential: { id: f.credentialId, publicKey: new Uint8Array(f.publicKey), counter: 0 },
        });
      },
    });
  }
  return cases;
}
