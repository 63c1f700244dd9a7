import { describe, expect, it } from "vitest";
import {
  coreCounters,
  DUMMY_TOTP_KEY,
  TOTP_STEPS_PER_VERIFY,
  totpCode,
  verifyTotpWindow,
  type TotpKey,
} from "../../src/core/index.js";

const KEY: TotpKey = { key: Buffer.from("3132333435363738393031323334353637383930", "hex"), algorithm: "SHA1", digits: 6, period: 30 };
const NOW = 1_700_000_015;
const STEP = Math.floor(NOW / 30);

function codeAtStep(step: number, key: TotpKey = KEY): string {
  return totpCode(key.key, key.algorithm, key.digits, key.period, step * key.period);
}

function verify(code: string, driftSteps = 0, window = 1, key: TotpKey = KEY) {
  return verifyTotpWindow({ ...key, code, nowSeconds: NOW, driftSteps, window });
}

describe("verifyTotpWindow", () => {
  it("accepts the current code with offset 0", () => {
    expect(verify(codeAtStep(STEP))).toEqual({ kind: "in_window", step: STEP, offset: 0 });
  });

  it("accepts codes one step either side within a ±1 window", () => {
    expect(verify(codeAtStep(STEP - 1))).toEqual({ kind: "in_window", step: STEP - 1, offset: -1 });
    expect(verify(codeAtStep(STEP + 1))).toEqual({ kind: "in_window", step: STEP + 1, offset: 1 });
  });

  it("classifies a code two steps away as outside a ±1 window but inside a ±3 one", () => {
    expect(verify(codeAtStep(STEP - 2))).toEqual({ kind: "outside_window", step: STEP - 2, offset: -2 });
    expect(verify(codeAtStep(STEP - 2), 0, 3)).toEqual({ kind: "in_window", step: STEP - 2, offset: -2 });
  });

  it("centres the window on the learned drift", () => {
    expect(verify(codeAtStep(STEP - 5), -5)).toEqual({ kind: "in_window", step: STEP - 5, offset: -5 });
    expect(verify(codeAtStep(STEP - 4), -5)).toEqual({ kind: "in_window", step: STEP - 4, offset: -4 });
    expect(verify(codeAtStep(STEP), -5)).toEqual({ kind: "outside_window", step: STEP, offset: 0 });
  });

  it("remembers codes up to 10 steps from the drift for resync, and no further", () => {
    expect(verify(codeAtStep(STEP + 10))).toEqual({ kind: "outside_window", step: STEP + 10, offset: 10 });
    expect(verify(codeAtStep(STEP - 10))).toEqual({ kind: "outside_window", step: STEP - 10, offset: -10 });
    expect(verify(codeAtStep(STEP + 11)).kind).toBe("no_match");
    expect(verify(codeAtStep(STEP - 11)).kind).toBe("no_match");
  });

  describe("when one code matches two steps", () => {
    // Under KEY, steps 910737 and 910738 show the same code, and so do 2386 and 2394 (found by search; checked here).
    const at = (step: number, lastStep: number, window = 1) =>
      verifyTotpWindow({ ...KEY, code: codeAtStep(step), nowSeconds: step * 30 + 15, driftSteps: 0, window, lastStep });

    it("takes the unused step in the window over the used one", () => {
      expect(codeAtStep(910737)).toBe(codeAtStep(910738));
      expect(at(910737, 910737)).toEqual({ kind: "in_window", step: 910738, offset: 1 });
      expect(at(910737, 910738)).toEqual({ kind: "replayed", step: 910738, offset: 1 });
    });

    it("answers replayed for a used step rather than resync for a step outside the window", () => {
      expect(codeAtStep(2386)).toBe(codeAtStep(2394));
      const code = codeAtStep(2386);
      const now = 2392 * 30 + 15;
      expect(verifyTotpWindow({ ...KEY, code, nowSeconds: now, driftSteps: 0, window: 1, lastStep: 2386 })).toEqual({ kind: "replayed", step: 2386, offset: -6 });
      expect(verifyTotpWindow({ ...KEY, code, nowSeconds: now, driftSteps: 0, window: 1, lastStep: 2000 })).toEqual({
        kind: "outside_window",
        step: 2394,
        offset: 2,
      });
    });
  });

  it("rejects a wrong code and a code of the wrong length", () => {
    const right = codeAtStep(STEP);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    expect(verify(wrong).kind).toBe("no_match");
    expect(verify(`${right}00`).kind).toBe("no_match");
    expect(verify(right.slice(0, 5)).kind).toBe("no_match");
  });

  it("works for 8 digits, SHA512 and 60 s periods", () => {
    const key: TotpKey = { key: Buffer.alloc(64, 7), algorithm: "SHA512", digits: 8, period: 60 };
    const step = Math.floor(NOW / 60);
    expect(verify(codeAtStep(step + 1, key), 0, 1, key)).toEqual({ kind: "in_window", step: step + 1, offset: 1 });
  });

  it("ignores steps before the Unix epoch", () => {
    const r = verifyTotpWindow({ ...KEY, code: codeAtStep(0), nowSeconds: 15, driftSteps: 0, window: 1 });
    expect(r).toEqual({ kind: "in_window", step: 0, offset: 0 });
  });
});

describe("constant work", () => {
  function work(run: () => void): { hmacs: number; compares: number } {
    const before = { ...coreCounters };
    run();
    return { hmacs: coreCounters.hmacs - before.hmacs, compares: coreCounters.compares - before.compares };
  }
  const expected = { hmacs: TOTP_STEPS_PER_VERIFY, compares: TOTP_STEPS_PER_VERIFY };

  it("does 21 HMACs and 21 compares for a match, a miss, an outside match and a dummy key alike", () => {
    const now = codeAtStep(STEP);
    const next = codeAtStep(STEP + 1);
    const late = codeAtStep(STEP + 7);
    const wrong = String((Number(now) + 1) % 1_000_000).padStart(6, "0");
    expect(verify(wrong).kind).toBe("no_match");
    expect(TOTP_STEPS_PER_VERIFY).toBe(21);
    expect(work(() => verify(now))).toEqual(expected);
    expect(work(() => verify(next))).toEqual(expected);
    expect(work(() => verify(wrong))).toEqual(expected);
    expect(work(() => verify(late))).toEqual(expected);
    expect(work(() => verify("12345678"))).toEqual(expected);
    expect(work(() => verify(now, 0, 1, DUMMY_TOTP_KEY))).toEqual(expected);
  });
});
