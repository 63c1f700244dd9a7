import { describe, expect, it } from "vitest";
import { decideTotp } from "../../src/domain/otp/index.js";

const FRESH = { lastStep: 100, resyncStep: undefined, resyncOffset: undefined };

describe("decideTotp", () => {
  it("accepts an in-window code and learns its offset as the drift", () => {
    expect(decideTotp({ kind: "in_window", step: 205, offset: 1 }, FRESH)).toEqual({
      kind: "accept",
      step: 205,
      driftSteps: 1,
      resyncedFrom: undefined,
    });
  });

  it("calls a step at or before the last accepted one replayed", () => {
    expect(decideTotp({ kind: "in_window", step: 100, offset: 0 }, FRESH)).toEqual({ kind: "replayed" });
    expect(decideTotp({ kind: "outside_window", step: 99, offset: -6 }, FRESH)).toEqual({ kind: "replayed" });
  });

  it("refuses and remembers a first out-of-window code", () => {
    expect(decideTotp({ kind: "outside_window", step: 200, offset: -5 }, FRESH)).toEqual({ kind: "resync_needed", step: 200, offset: -5 });
  });

  it("accepts the very next step from the same offset as a resync", () => {
    const remembered = { lastStep: 100, resyncStep: 200, resyncOffset: -5 };
    expect(decideTotp({ kind: "outside_window", step: 201, offset: -5 }, remembered)).toEqual({
      kind: "accept",
      step: 201,
      driftSteps: -5,
      resyncedFrom: 200,
    });
  });

  it("does not resync from the same step twice, a skipped step or a far-off offset", () => {
    const remembered = { lastStep: 100, resyncStep: 200, resyncOffset: -5 };
    expect(decideTotp({ kind: "outside_window", step: 200, offset: -5 }, remembered).kind).toBe("resync_needed");
    expect(decideTotp({ kind: "outside_window", step: 202, offset: -5 }, remembered).kind).toBe("resync_needed");
    expect(decideTotp({ kind: "outside_window", step: 201, offset: -8 }, remembered).kind).toBe("resync_needed");
  });

  it("calls no match a wrong code", () => {
    expect(decideTotp({ kind: "no_match" }, FRESH)).toEqual({ kind: "wrong_code" });
  });
});
