import type { Client } from "@connectrpc/connect";
import type { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import type { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import type { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import type { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import type { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import type { AttestationCa } from "../fido/attestation-ca.js";
import type { EmulatorClock } from "../runtime.js";

/** One client per twofold service, all sending the run's API key. */
export interface ScenarioClients {
  enrolment: Client<typeof EnrolmentService>;
  auth: Client<typeof AuthenticationService>;
  backupCodes: Client<typeof BackupCodeService>;
  appPasswords: Client<typeof AppPasswordService>;
  admin: Client<typeof AdminService>;
}

/** Where WebAuthn ceremonies happen: the page's origin and the relying party id the service uses. */
export interface WebAuthnSite {
  origin: string;
  rpId: string;
}

/**
 * What a scenario gets: clients of the live service, a user id of its own
 * (fresh and random, so runs never collide), the host's clock, and the
 * assertion helpers that fail it with a message fit for the report.
 */
export interface ScenarioContext {
  readonly clients: ScenarioClients;
  readonly userId: string;
  /** The host's clock: what a token's time is set from. The service keeps its own. */
  readonly clock: EmulatorClock;
  /** Aborted when the scenario runs out of time. */
  readonly signal: AbortSignal;
  /** Waits on the host's clock (real time against a live service). */
  sleep(ms: number): Promise<void>;
  /** The relying party's origin and id, read once per run. */
  webAuthnSite(): Promise<WebAuthnSite>;
  /** The attestation CA the run's emulated FIDO devices are issued by. */
  attestationCa(): Promise<AttestationCa>;
  /** Fails the scenario with `message` unless `condition` holds. */
  check(condition: unknown, message: string): asserts condition;
  /** Fails the scenario with `message`. */
  fail(message: string): never;
  /**
   * Marks a value (a code, a password) as secret: it is scrubbed from every
   * message the run prints or writes. Returns the value.
   */
  secret<T extends string>(value: T): T;
  /** A short note for the report's detail column when the scenario passes. */
  note(text: string): void;
}

/** A named, documented check of one behaviour of the live service. */
export interface Scenario {
  /** kebab-case, as `--scenario` takes it. */
  readonly name: string;
  /** One or two sentences for `--help`: what is played and what must happen. */
  readonly description: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/** A scenario's outcome, as the table and the reports show it. */
export interface ScenarioResult {
  name: string;
  status: "passed" | "failed";
  durationMs: number;
  /** Why it failed (never a code, password or API key). */
  error?: string;
  /** What was observed when it passed. */
  detail?: string;
}

/** A whole run, the JSON report's shape. */
export interface RunReport {
  target: string;
  startedAt: string;
  results: ScenarioResult[];
}
