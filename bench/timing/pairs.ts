/**
 * The class pairs `timing` compares, each a single operation run with one
 * of two inputs: if the operation is constant-time in what distinguishes the
 * inputs, the two classes' times have the same distribution.
 *
 * The real pairs run twofold's code (through bench/targets.ts); the
 * positive control runs a deliberately leaky early-exit string compare
 * through the same harness, to prove in every run that the harness and the
 * machine can see a leak at all.
 */
import {
  BACKUP_CODE_HASH_PURPOSE,
  BACKUP_CODE_SYMBOLS,
  createKeyring,
  DUMMY_TOTP_KEY,
  normaliseCrockford,
  totpCode,
  verifyTotpWindow,
  type TotpWindowInput,
  type TotpWindowResult,
} from "../targets.js";
import { KEYRING_KEY, matchingTotp, NOW, PEPPER, PERIOD, RFC6238_KEYS, wrongTotp } from "../core/fixtures.js";

/** The TOTP verifier under test; replaceable so a test can inject a leaky one. */
export type TotpVerifier = (input: TotpWindowInput) => TotpWindowResult;

/** Two inputs to one operation. */
export interface ClassPair {
  name: string;
  classes: [string, string];
  /** Runs the operation on class `c`'s input, `batch` times (one timed sample). */
  run(c: 0 | 1): void;
  /** Operations per timed sample (cheap operations are batched above the timer's resolution). */
  batch: number;
  control?: boolean;
}

/** Keeps results alive, so the JIT cannot drop the work. */
export const sink = { value: undefined as unknown };

/** An early-exit compare, the classic timing leak: it stops at the first differing character. */
export function leakyEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

/**
 * A naive TOTP verifier, for the self-test: wrong-length codes return at
 * once, candidates are compared with an early-exit compare, and the search
 * stops at the first match. The harness must fail it.
 */
export const naiveTotpVerifier: TotpVerifier = (input) => {
  if (input.code.length !== input.digits) return { kind: "no_match" };
  const current = Math.floor(input.nowSeconds / input.period) + input.driftSteps;
  for (let d = -10; d <= 10; d++) {
    const step = current + d;
    const expected = totpCode(input.key, input.algorithm, input.digits, input.period, step * input.period);
    if (leakyEqual(expected, input.code)) {
      return Math.abs(d) <= input.window ? { kind: "in_window", step, offset: d } : { kind: "outside_window", step, offset: d };
    }
  }
  return { kind: "no_match" };
};

/** The pairs, the control first. */
export function classPairs(verify: TotpVerifier = verifyTotpWindow): ClassPair[] {
  const key = RFC6238_KEYS.SHA1;
  const good = matchingTotp("SHA1", 6);
  const wrongLast = wrongTotp(key, "SHA1", 6, good, 5);
  const wrongFirst = wrongTotp(key, "SHA1", 6, good, 0);
  const base = { key, algorithm: "SHA1" as const, digits: 6 as const, period: PERIOD as 30, nowSeconds: NOW, driftSteps: 0, window: 1 };
  const totp = (name: string, classes: [string, string], a: TotpWindowInput, b: TotpWindowInput): ClassPair => ({
    name,
    classes,
    batch: 1,
    run: (c) => {
      sink.value = verify(c === 0 ? a : b);
    },
  });

  // Backup codes: a typed code sharing 15 of 16 symbols with a real one, and one sharing none.
  // (The real code, 7K3MQ9XW2DFHTR8N, is what the service would look the hash up against.)
  const keyring = createKeyring([{ id: "bench", key: KEYRING_KEY }], PEPPER);
  const prefix = "7K3M-Q9XW-2DFH-TR8P";
  const other = "Z0AB-CDEF-GHJK-MNPQ";
  const hash = (code: string): Buffer => keyring.keyedHash(BACKUP_CODE_HASH_PURPOSE, normaliseCrockford(code, BACKUP_CODE_SYMBOLS) ?? "");

  // The control: the same 16-symbol secret compared early-exit with codes differing at the first or the last symbol.
  const secret = "7K3MQ9XW2DFHTR8N";
  const firstDiffers = "Z" + secret.slice(1);
  const lastDiffers = secret.slice(0, 15) + "Z";
  return [
    {
      name: "control: early-exit compare, first vs last symbol differs",
      classes: ["first symbol differs", "last symbol differs"],
      batch: 32,
      control: true,
      run: (c) => {
        const typed = c === 0 ? firstDiffers : lastDiffers;
        let r = false;
        for (let i = 0; i < 32; i++) r = leakyEqual(secret, typed) || r;
        sink.value = r;
      },
    },
    totp("TOTP: matching vs wrong code", ["matching code", "wrong code"], { ...base, code: good }, { ...base, code: wrongLast }),
    totp("TOTP: wrong code differing in the first vs the last digit", ["first digit wrong", "last digit wrong"], { ...base, code: wrongFirst }, { ...base, code: wrongLast }),
    totp("TOTP: known user vs unknown user (dummy key)", ["known user", "unknown user"], { ...base, code: wrongLast }, { ...base, ...DUMMY_TOTP_KEY, code: wrongLast }),
    totp("TOTP: wrong-length vs right-length wrong code", ["5 digits", "6 digits"], { ...base, code: good.slice(0, 5) }, { ...base, code: wrongLast }),
    {
      name: "backup code: sharing a 15-symbol prefix with a real code vs none",
      classes: ["shares a prefix", "shares nothing"],
      batch: 8,
      run: (c) => {
        const code = c === 0 ? prefix : other;
        let h: Buffer | undefined;
        for (let i = 0; i < 8; i++) h = hash(code);
        sink.value = h;
      },
    },
  ];
}
