import { describe, expect, it } from "vitest";
import { cpuDelta, mainThreadSched, parseSchedstat, schedShares } from "../../bench/common/cpu.js";
import { progressBar } from "../../bench/common/progress.js";
import { cdfPoints, histogram, quantile, summarise } from "../../bench/common/stats.js";
import { parseLoadArgs } from "../../bench/load/command.js";
import { urlWithDatabase } from "../../bench/load/database.js";
import { UserPool } from "../../bench/load/pools.js";
import { MixError, parseMix, pickKind, poolSizes } from "../../bench/load/mix.js";
import { currentStep, type TotpUser } from "../../bench/load/users.js";
import { HOTP_EXCLUDED_AHEAD, TOTP_EXCLUDED_STEPS, wrongAppPassword, wrongBackupCode, wrongHotpCode, wrongTotpCode } from "../../bench/load/wrong-codes.js";
import { analyse, WelchT } from "../../bench/timing/dudect.js";
import { NitrokeyOtpDevice, oathCode } from "../../emulator/index.js";

/** RFC 6238's SHA1 test key. */
const SECRET = Buffer.from("12345678901234567890", "ascii");

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe("the progress bar", () => {
  it("draws a bar with an ETA on a terminal", () => {
    let t = 0;
    const { stream, written } = fakeStream(true);
    const bar = progressBar("logins", 10, { out: stream, now: () => t });
    t = 2000;
    bar.update(5);
    expect(written.join("")).toMatch(/\r\x1b\[2Klogins \[#{14}-{14}\]  50% ETA 00:02/);
  });

  it("writes nothing when the stream is not a terminal", () => {
    const { stream, written } = fakeStream(false);
    const bar = progressBar("logins", 10, { out: stream });
    bar.update(5);
    bar.finish();
    expect(written).toEqual([]);
  });
});

describe("the statistics", () => {
  it("takes nearest-rank percentiles and summaries", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const s = summarise(values);
    expect([s.p50, s.p90, s.p99, s.max, s.mean]).toEqual([50, 90, 99, 100, 50.5]);
    expect(quantile(Float64Array.of(), 0.5)).toBeNaN();
  });

  it("bins values, clamping the tail or leaving it out, and ends the CDF at 1", () => {
    expect(histogram([0, 1, 2, 9, 50], 2, 0, 10).map((b) => b.count)).toEqual([3, 2]);
    expect(histogram([0, 1, 2, 9, 50], 2, 0, 10, false).map((b) => b.count)).toEqual([3, 1]);
    expect(cdfPoints(Float64Array.of(1, 2, 3), 2).at(-1)).toEqual([3, 1]);
  });
});

describe("the workload mix", () => {
  it("parses weights into shares and picks kinds by share", () => {
    const mix = parseMix("totp=3,hotp=1");
    expect(mix).toEqual({ totp: 0.75, hotp: 0.25 });
    expect(pickKind(mix, 0.74)).toBe("totp");
    expect(pickKind(mix, 0.76)).toBe("hotp");
    expect(() => parseMix("sms=1")).toThrow(MixError);
    expect(() => parseMix("totp=0")).toThrow(/at least one kind/);
  });

  it("gives every kind at least twice its logins in flight", () => {
    expect(poolSizes({ totp: 0.9, hotp: 0.1 }, 30, 32)).toEqual(new Map([["totp", 58], ["hotp", 7]]));
  });
});

describe("the TOTP user pool", () => {
  function user(n: number, nextStep: number): TotpUser {
    return { kind: "totp", id: `u${n}`, busy: false, failures: 0, token: new NitrokeyOtpDevice(), secret: SECRET, nextStep };
  }

  it("hands a user out once per step: after a login it waits for the next step", () => {
    let now = 1_700_000_000_000;
    const step = currentStep(now);
    const a = user(1, step);
    const b = user(2, step + 1);
    const pool = new UserPool([a, b], () => now);
    expect(pool.takeCorrect()).toBe(a);
    a.nextStep = step + 1;
    pool.giveBack(a);
    // b waits for the next step, and a has used this one.
    expect(pool.takeCorrect()).toBeUndefined();
    expect(pool.msToNextStep()).toBe(30_000 - (now % 30_000));
    now += pool.msToNextStep();
    expect(new Set([pool.takeCorrect(), pool.takeCorrect()])).toEqual(new Set([a, b]));
  });

  it("keeps wrong proofs away from users at their failure allowance and from busy users", () => {
    const now = 1_700_000_000_000;
    const a = user(1, currentStep(now));
    const b = user(2, currentStep(now));
    a.failures = 3;
    const pool = new UserPool([a, b], () => now);
    expect(pool.takeWrong()).toBe(b);
    expect(pool.takeWrong()).toBeUndefined();
    pool.giveBack(b);
    expect(pool.takeCorrect()).toBe(a);
    expect(pool.takeCorrect()).toBe(b);
  });
});

describe("wrong proofs", () => {
  it("a wrong TOTP code matches no step within ±16 of now", () => {
    const step = 56_666_666;
    for (let i = 0; i < 50; i++) {
      const code = wrongTotpCode(SECRET, step);
      for (let s = step - TOTP_EXCLUDED_STEPS; s <= step + TOTP_EXCLUDED_STEPS; s++) expect(oathCode(SECRET, BigInt(s), 6)).not.toBe(code);
    }
  });

  it("a wrong HOTP code matches no counter the service searches", () => {
    const code = wrongHotpCode(SECRET, 5);
    for (let c = 0; c <= 5 + HOTP_EXCLUDED_AHEAD; c++) expect(oathCode(SECRET, BigInt(c), 6)).not.toBe(code);
  });

  it("a wrong backup code or app password is well-formed and none of the user's, even after normalising", () => {
    const issued = ["7K3M-Q9XW-2DFH-TR8N", "ABCD-EFGH-JKMN-PQRS"];
    const code = wrongBackupCode(issued);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(issued.map((c) => c.replace(/-/g, ""))).not.toContain(code.replace(/-/g, ""));
    const password = "7K3MQ-9XW2D-FHTR8-NPC4V-BJ6Y0";
    expect(wrongAppPassword(password)).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    expect(wrongAppPassword(password)).not.toBe(password);
  });
});

describe("the load run's database URL", () => {
  it("names the run's database in host, socket and libpq-style URLs, keeping their options", () => {
    expect(urlWithDatabase("postgres://postgres@127.0.0.1:5432/test", "b1")).toBe("postgres://postgres@127.0.0.1:5432/b1");
    expect(urlWithDatabase("postgres://postgres@%2Fvar%2Frun%2Fpostgresql/test", "b1")).toBe("postgres://postgres@%2Fvar%2Frun%2Fpostgresql/b1");
    expect(urlWithDatabase("postgres://postgres@/test?host=/var/run/postgresql", "b1")).toBe("postgres://postgres@/b1?host=/var/run/postgresql");
    expect(urlWithDatabase("postgresql://u:p@db.example:6432?sslmode=require", "b1")).toBe("postgresql://u:p@db.example:6432/b1?sslmode=require");
    expect(() => urlWithDatabase("host=/tmp dbname=x", "b1")).toThrow(/postgres:\/\//);
  });
});

describe("CPU between two snapshots", () => {
  it("sums the pids in both, and with newFromZero also those that started in between", () => {
    const before = new Map([[10, 1.0], [11, 2.0], [12, 5.0]]);
    const after = new Map([[10, 1.5], [11, 2.25], [13, 0.5]]);
    expect(cpuDelta(before, after)).toBeCloseTo(0.75, 9);
    expect(cpuDelta(before, after, { newFromZero: true })).toBeCloseTo(1.25, 9);
    expect(cpuDelta(before, new Map([[13, 0.5]]))).toBeUndefined();
    expect(cpuDelta(new Map(), new Map(), { newFromZero: true })).toBeUndefined();
  });
});

describe("load's command line", () => {
  const target = ["--target", "127.0.0.1:50051", "--api-key", "k"];

  it("takes the target's process id for its CPU, only with --target", () => {
    expect(parseLoadArgs([...target, "--server-pid", "4242"], {}).opts.serverPid).toBe(4242);
    expect(parseLoadArgs(target, {}).opts.serverPid).toBeUndefined();
    expect(() => parseLoadArgs(["--server-pid", "4242"], {})).toThrow(/--server-pid needs --target/);
    expect(() => parseLoadArgs([...target, "--server-pid", "0"], {})).toThrow(/server-pid/);
    expect(() => parseLoadArgs([...target, "--server-pid", "12x"], {})).toThrow(/server-pid/);
  });
});

describe("dudect's statistics", () => {
  it("computes Welch's t", () => {
    const t = new WelchT();
    for (const x of [1, 2, 3]) t.push(x, 0);
    for (const x of [4, 5, 6]) t.push(x, 1);
    // Means 2 and 5, variances 1 and 1: t = −3 / √(1/3 + 1/3).
    expect(t.t()).toBeCloseTo(-3 / Math.sqrt(2 / 3), 10);
  });

  it("finds a shift between classes and none between two draws of one distribution", () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const n = 40_000;
    const times = new Float64Array(n);
    const same = new Float64Array(n);
    const classes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = random() < 0.5 ? 0 : 1;
      classes[i] = c;
      const noise = 100 + 10 * (random() + random() + random());
      same[i] = noise;
      times[i] = noise + (c === 1 ? 1 : 0);
    }
    expect(analyse(times, classes, n, 2000, 1000).maxT).toBeGreaterThan(10);
    expect(analyse(same, classes, n, 2000, 1000).maxT).toBeLessThan(4.5);
  });
});

describe("the scheduler's times of a thread", () => {
  it("reads nanoseconds on a core and waiting for one from a schedstat line", () => {
    expect(parseSchedstat("6900000000 2974000000 11698\n")).toEqual({ runningSeconds: 6.9, waitingSeconds: 2.974 });
    expect(parseSchedstat("")).toBeUndefined();
    expect(parseSchedstat("12 x 3")).toBeUndefined();
  });

  it("turns two readings into shares of the wall-clock window, within 0..1", () => {
    const before = { runningSeconds: 10, waitingSeconds: 2 };
    expect(schedShares(before, { runningSeconds: 17, waitingSeconds: 5 }, 10)).toEqual({ running: 0.7, waiting: 0.3 });
    // Readings a little past the window (the two are not taken at one instant) are clamped.
    expect(schedShares(before, { runningSeconds: 20.5, waitingSeconds: 2 }, 10)).toEqual({ running: 1, waiting: 0 });
    expect(schedShares(undefined, before, 10)).toBeUndefined();
    expect(schedShares(before, before, 0)).toBeUndefined();
  });

  it("reads this process's main thread, whose time on a core only grows", () => {
    const a = mainThreadSched(process.pid);
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    const b = mainThreadSched(process.pid);
    expect(x).toBeGreaterThan(0);
    expect(a).toBeDefined();
    expect(b?.runningSeconds).toBeGreaterThan(a?.runningSeconds ?? Infinity);
  });
});
