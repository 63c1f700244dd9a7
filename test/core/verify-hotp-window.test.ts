import { describe, expect, it } from "vitest";
import {
  coreCounters,
  DUMMY_HOTP_KEY,
  findConsecutivePair,
  HOTP_LOOK_AHEAD,
  HOTP_LOOK_BEHIND,
  HOTP_RESYNC_RANGE,
  hotpCode,
  verifyHotpWindow,
} from "../../src/core/index.js";

const KEY = Buffer.from("3132333435363738393031323334353637383930", "hex");
const BASE = { key: KEY, algorithm: "SHA1" as const, digits: 6 as const, lookAhead: HOTP_LOOK_AHEAD, resyncRange: HOTP_RESYNC_RANGE, lookBehind: HOTP_LOOK_BEHIND };

function hmacsOf(fn: () => unknown): number {
  const before = coreCounters.hmacs;
  fn();
  return coreCounters.hmacs - before;
}

describe("verifyHotpWindow", () => {
  it("classifies codes by where they sit from the expected counter", () => {
    const at = (c: number) => hotpCode(KEY, "SHA1", c, 6);
    expect(verifyHotpWindow({ ...BASE, code: at(100), expectedCounter: 100 })).toEqual({ kind: "in_window", counter: 100 });
    expect(verifyHotpWindow({ ...BASE, code: at(110), expectedCounter: 100 })).toEqual({ kind: "in_window", counter: 110 });
    expect(verifyHotpWindow({ ...BASE, code: at(111), expectedCounter: 100 })).toEqual({ kind: "outside_window", counter: 111 });
    expect(verifyHotpWindow({ ...BASE, code: at(1100), expectedCounter: 100 })).toEqual({ kind: "outside_window", counter: 1100 });
    expect(verifyHotpWindow({ ...BASE, code: at(99), expectedCounter: 100 })).toEqual({ kind: "replayed", counter: 99 });
    expect(verifyHotpWindow({ ...BASE, code: "12345", expectedCounter: 100 })).toEqual({ kind: "no_match" });
  });

  it("answers replayed for a used code that also recurs beyond the look-ahead, remembering no resync", () => {
    // Under KEY, counters 1891 and 2576 show the same code (found by search; checked here).
    expect(hotpCode(KEY, "SHA1", 1891, 6)).toBe(hotpCode(KEY, "SHA1", 2576, 6));
    const used = hotpCode(KEY, "SHA1", 1891, 6);
    expect(verifyHotpWindow({ ...BASE, code: used, expectedCounter: 1892 })).toEqual({ kind: "replayed", counter: 1891 });
    // Nothing behind: the same code is an ordinary resync candidate.
    expect(verifyHotpWindow({ ...BASE, code: used, expectedCounter: 1902 })).toEqual({ kind: "outside_window", counter: 2576 });
    // Within the look-ahead it is the token's next code.
    expect(verifyHotpWindow({ ...BASE, code: used, expectedCounter: 2570 })).toEqual({ kind: "in_window", counter: 2576 });
  });

  it("does the same work whether the code matches, misses, or is checked on the dummy key", () => {
    const n = HOTP_LOOK_BEHIND + HOTP_RESYNC_RANGE + 1;
    const code = hotpCode(KEY, "SHA1", 5, 6);
    expect(hmacsOf(() => verifyHotpWindow({ ...BASE, code, expectedCounter: 5 }))).toBe(n);
    expect(hmacsOf(() => verifyHotpWindow({ ...BASE, code: "000000", expectedCounter: 0 }))).toBe(n);
    expect(hmacsOf(() => verifyHotpWindow({ ...BASE, ...DUMMY_HOTP_KEY, code: "1234567", expectedCounter: 0 }))).toBe(n);
  });
});

describe("findConsecutivePair", () => {
  it("finds two consecutive codes and nothing for codes a step apart, at constant work", () => {
    const at = (c: number) => hotpCode(KEY, "SHA1", c, 6);
    const [c500, c501, c502] = [at(500), at(501), at(502)];
    let found: number[] = [];
    expect(hmacsOf(() => (found = findConsecutivePair({ ...BASE, code1: c500, code2: c501, first: 10, count: 1001 })))).toBe(1002);
    expect(found).toEqual([500]);
    expect(hmacsOf(() => (found = findConsecutivePair({ ...BASE, code1: c500, code2: c502, first: 10, count: 1001 })))).toBe(1002);
    expect(found).toEqual([]);
  });

  it("never matches a pair starting before `first` or before counter 0", () => {
    const at = (c: number) => hotpCode(KEY, "SHA1", c, 6);
    expect(findConsecutivePair({ ...BASE, code1: at(9), code2: at(10), first: 10, count: 100 })).toEqual([]);
    expect(findConsecutivePair({ ...BASE, code1: at(0), code2: at(1), first: -50, count: 100 })).toEqual([0]);
  });
});
