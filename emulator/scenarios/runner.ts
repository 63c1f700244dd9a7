import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { Code, TwofoldError } from "../../src/client/index.js";
import { AttestationCa } from "../fido/attestation-ca.js";
import { systemClock, type EmulatorClock } from "../runtime.js";
import { SCENARIOS } from "./catalogue.js";
import { ServiceConnection, type ConnectionOptions } from "./clients.js";
import { describeFailure, ScenarioFailure } from "./failure.js";
import type { RunReport, Scenario, ScenarioClients, ScenarioContext, ScenarioResult, WebAuthnSite } from "./types.js";

/** Long enough for the drift scenario, which must wait for the service's clock to move four steps. */
export const DEFAULT_SCENARIO_TIMEOUT_MS = 180_000;

/** The service's default relying party (TWOFOLD_RP_ID / TWOFOLD_RP_ORIGINS unset). */
export const DEFAULT_ORIGIN = "http://localhost:3000";

/** Options of {@link runScenarios}. */
export interface RunOptions extends ConnectionOptions {
  /** Names to run, in this order; default every scenario of the catalogue. */
  scenarios?: readonly string[];
  /** Default {@link SCENARIOS}; tests may run their own. */
  catalogue?: readonly Scenario[];
  /** Per scenario; default {@link DEFAULT_SCENARIO_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * The page origin for WebAuthn ceremonies. Default: the tenant's relying
   * party if the key may read it (AdminService.GetRelyingParty), else
   * {@link DEFAULT_ORIGIN}.
   */
  origin?: string;
  /** The host's clock; default the wall clock. Tests share one with the service. */
  clock?: EmulatorClock;
  /** How `ctx.sleep` waits; default a real timer. A test with a manual clock advances it instead. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called as each scenario ends, for progress output. */
  onResult?: (result: ScenarioResult) => void;
}

/** A scenario name that is not in the catalogue (the CLI answers exit code 2). */
export class UnknownScenarioError extends Error {
  override readonly name = "UnknownScenarioError";
}

/** The scenarios `names` selects, in that order; every name must exist. */
export function selectScenarios(catalogue: readonly Scenario[], names: readonly string[] | undefined): Scenario[] {
  if (names === undefined || names.length === 0) return [...catalogue];
  return names.map((name) => {
    const found = catalogue.find((s) => s.name === name);
    if (found === undefined) throw new UnknownScenarioError(`unknown scenario: ${name} (known: ${catalogue.map((s) => s.name).join(", ")})`);
    return found;
  });
}

/**
 * Runs the selected scenarios one after another against a live service, each
 * with a fresh random user id and a time limit, and reports what happened.
 * It never throws for a failing scenario: failures are results.
 */
export async function runScenarios(options: RunOptions): Promise<RunReport> {
  const selected = selectScenarios(options.catalogue ?? SCENARIOS, options.scenarios);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }));
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCENARIO_TIMEOUT_MS;
  const connection = new ServiceConnection(options);
  const runClients = connection.clients(new AbortController().signal);
  let site: Promise<WebAuthnSite> | undefined;
  let ca: Promise<AttestationCa> | undefined;
  const report: RunReport = { target: options.target, startedAt: clock.now().toISOString(), results: [] };
  try {
    for (const scenario of selected) {
      const result = await runOne(scenario, {
        connection,
        clock,
        sleep,
        timeoutMs,
        apiKey: options.apiKey,
        webAuthnSite: () => (site ??= resolveSite(runClients, options.origin)),
        attestationCa: () => (ca ??= AttestationCa.create({ clock })),
      });
      report.results.push(result);
      options.onResult?.(result);
    }
  } finally {
    connection.close();
  }
  return report;
}

interface RunShared {
  connection: ServiceConnection;
  clock: EmulatorClock;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  timeoutMs: number;
  apiKey: string;
  webAuthnSite(): Promise<WebAuthnSite>;
  attestationCa(): Promise<AttestationCa>;
}

async function runOne(scenario: Scenario, shared: RunShared): Promise<ScenarioResult> {
  const controller = new AbortController();
  const secrets = new Set<string>([shared.apiKey]);
  const notes: string[] = [];
  const ctx: ScenarioContext = {
    clients: shared.connection.clients(controller.signal),
    userId: `emulator-${scenario.name}-${randomUUID()}`,
    clock: shared.clock,
    signal: controller.signal,
    sleep: (ms) => shared.sleep(Math.max(0, ms), controller.signal),
    webAuthnSite: shared.webAuthnSite,
    attestationCa: shared.attestationCa,
    check(condition: unknown, message: string): asserts condition {
      if (!condition) throw new ScenarioFailure(message);
    },
    fail(message: string): never {
      throw new ScenarioFailure(message);
    },
    secret(value) {
      if (value.length > 0) secrets.add(value);
      return value;
    },
    note(text) {
      notes.push(text);
    },
  };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new ScenarioFailure(`timed out after ${shared.timeoutMs / 1000} s`);
      controller.abort(err);
      reject(err);
    }, shared.timeoutMs);
  });
  try {
    await Promise.race([scenario.run(ctx), timedOut]);
    const result: ScenarioResult = { name: scenario.name, status: "passed", durationMs: elapsed(started) };
    if (notes.length > 0) result.detail = scrub(notes.join("; "), secrets);
    return result;
  } catch (err) {
    const cause = controller.signal.aborted ? controller.signal.reason : err;
    return { name: scenario.name, status: "failed", durationMs: elapsed(started), error: scrub(describeFailure(cause), secrets) };
  } finally {
    clearTimeout(timer);
    controller.abort(new ScenarioFailure("scenario over"));
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Removes every secret the scenario handled (and the API key) from a message. */
function scrub(text: string, secrets: ReadonlySet<string>): string {
  let out = text.replace(/[\r\n]+/g, " ");
  for (const s of secrets) out = out.split(s).join("[redacted]");
  return out;
}

/** The origin and rp id WebAuthn scenarios play the page with. */
async function resolveSite(clients: ScenarioClients, origin: string | undefined): Promise<WebAuthnSite> {
  if (origin !== undefined) return { origin, rpId: new URL(origin).hostname };
  try {
    const { relyingParty } = await clients.admin.getRelyingParty({});
    if (relyingParty !== undefined && relyingParty.rpId !== "") {
      const rpId = relyingParty.rpId;
      const origins = relyingParty.allowedOrigins;
      const matching = origins.find((o) => {
        const host = new URL(o).hostname;
        return host === rpId || host.endsWith(`.${rpId}`);
      });
      return { origin: matching ?? origins[0] ?? `https://${rpId}`, rpId };
    }
  } catch (err) {
    // A service key may not read the relying party: fall back to the service's default.
    const allowed = [Code.PermissionDenied, Code.Unauthenticated, Code.Unimplemented];
    if (!(err instanceof TwofoldError) || !allowed.includes(err.code)) throw err;
  }
  return { origin: DEFAULT_ORIGIN, rpId: new URL(DEFAULT_ORIGIN).hostname };
}
