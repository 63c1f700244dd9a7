/**
 * Micro-benchmark of the verification core (`npm run bench:core`).
 *
 * Measures, in one run and one process, verifications per second of our
 * constant-work TOTP window (21 steps: ±10 around the drift) for a code that
 * matches, a code that does not, and an unknown user (the dummy key), beside
 * otplib's own verifySync over the same 21 steps as the baseline. Also reports
 * the HMACs counted by the core, which must be equal for the three cases.
 *
 *   npm run bench:core [-- --seconds N] [-- --smoke]
 */
import { verifySync } from "otplib";
import { coreCounters, DUMMY_TOTP_KEY, totpCode, verifyTotpWindow, type TotpKey } from "../src/core/index.js";

const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
const secondsArg = args.indexOf("--seconds");
const seconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : smoke ? 0.3 : 3;

const key: TotpKey = { key: Buffer.from("3132333435363738393031323334353637383930", "hex"), algorithm: "SHA1", digits: 6, period: 30 };
const now = 1_700_000_000;
const good = totpCode(key.key, "SHA1", 6, 30, now);
const bad = good === "000000" ? "000001" : "000000";
const base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

interface Row {
  name: string;
  opsPerSecond: number;
  microsPerOp: number;
  hmacsPerOp: number | undefined;
}

/** Runs `fn` repeatedly for about `seconds` after a short warm-up; ops/s from the measured part. */
function measure(name: string, fn: () => void, countsHmacs: boolean): Row {
  for (let i = 0; i < 200; i++) fn();
  const before = coreCounters.hmacs;
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
    elapsed = process.hrtime.bigint() - start;
  }
  const secs = Number(elapsed) / 1e9;
  return {
    name,
    opsPerSecond: Math.round(ops / secs),
    microsPerOp: Math.round((secs / ops) * 1e8) / 100,
    hmacsPerOp: countsHmacs ? (coreCounters.hmacs - before) / ops : undefined,
  };
}

const input = { ...key, nowSeconds: now, driftSteps: 0, window: 1 };
const rows: Row[] = [
  measure("twofold core, matching code", () => void verifyTotpWindow({ ...input, code: good }), true),
  measure("twofold core, wrong code", () => void verifyTotpWindow({ ...input, code: bad }), true),
  measure("twofold core, unknown user (dummy key)", () => void verifyTotpWindow({ ...DUMMY_TOTP_KEY, nowSeconds: now, driftSteps: 0, window: 1, code: bad }), true),
  measure(
    "otplib verifySync, ±10 steps (baseline)",
    () => void verifySync({ secret: base32, token: bad, epoch: now, epochTolerance: 300 }),
    false,
  ),
];

const width = Math.max(...rows.map((r) => r.name.length));
console.log(`${"case".padEnd(width)}  verifies/s   µs/verify  HMACs/verify`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(width)}  ${String(r.opsPerSecond).padStart(10)}  ${String(r.microsPerOp).padStart(10)}  ${r.hmacsPerOp === undefined ? "-" : r.hmacsPerOp}`,
  );
}
const [match, miss, dummy, baseline] = rows as [Row, Row, Row, Row];
console.log(`ratio twofold (wrong code) / otplib: ${(miss.opsPerSecond / baseline.opsPerSecond).toFixed(2)}`);
if (match.hmacsPerOp !== miss.hmacsPerOp || miss.hmacsPerOp !== dummy.hmacsPerOp) {
  console.error("constant work violated: HMAC counts differ between cases");
  process.exit(1);
}
