import type { Client } from "@connectrpc/connect";
import { AdminService } from "../gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../gen/twofold/v1/enrolment_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { retrySettings, type RetryOptions } from "./retry-policy.js";
import { openTransport, type TwofoldProtocol } from "./transport.js";
import { wrapClient, type CallPolicy } from "./wrap-client.js";

/** How a platform service reaches twofold. */
export interface TwofoldClientOptions {
  /** `http://host:port` (h2c) or `https://host:port`. */
  baseUrl: string;
  /** An API key from `twofold api-keys create`, sent as `authorization: Bearer <key>`. */
  apiKey: string;
  protocol: TwofoldProtocol;
  /**
   * Deadline of each call, its retries included, when the call's own
   * CallOptions.timeoutMs sets none; sent to the service, which stops work
   * past it. Default 10 000 ms; 0 or less: none.
   */
  timeoutMs?: number;
  /** Retries of reads that failed with UNAVAILABLE (retry-policy.ts); `false`: never. */
  retry?: RetryOptions | false;
  /** Connect only: "2" (default, h2c or TLS) or "1.1". gRPC is always HTTP/2. */
  httpVersion?: "2" | "1.1";
  /** Once aborted, calls in flight fail and new ones fail at once (CANCELED). */
  signal?: AbortSignal;
}

/** A typed client per twofold.v1 service, plus health, over one connection. */
export interface TwofoldClient {
  enrolment: Client<typeof EnrolmentService>;
  authentication: Client<typeof AuthenticationService>;
  backupCodes: Client<typeof BackupCodeService>;
  appPasswords: Client<typeof AppPasswordService>;
  /** Needs an API key of role `admin`. */
  admin: Client<typeof AdminService>;
  /** grpc.health.v1.Health; needs no key, but sending one does no harm. */
  health: Client<typeof Health>;
  /** Ends the connection, so a process can exit; calls in flight fail. */
  close(): void;
}

/**
 * The client platform services use instead of rebuilding the transport, the
 * bearer header and error-detail decoding from the generated code. Every
 * failed call throws TwofoldError; reads are retried on UNAVAILABLE, writes
 * (Verify above all) never are.
 */
export function createTwofoldClient(options: TwofoldClientOptions): TwofoldClient {
  if (!URL.canParse(options.baseUrl) || !/^https?:$/.test(new URL(options.baseUrl).protocol)) {
    throw new TypeError("createTwofoldClient: baseUrl must be an http:// or https:// URL");
  }
  if (typeof options.apiKey !== "string" || options.apiKey === "" || /[\r\n]/.test(options.apiKey)) {
    throw new TypeError("createTwofoldClient: apiKey must be a non-empty single-line string");
  }
  if (options.protocol !== "grpc" && options.protocol !== "connect") {
    throw new TypeError('createTwofoldClient: protocol must be "grpc" or "connect"');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { transport, close } = openTransport({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    apiKey: options.apiKey,
    protocol: options.protocol,
    httpVersion: options.httpVersion ?? "2",
    defaultTimeoutMs: timeoutMs,
  });
  const policy: CallPolicy = { timeoutMs, retry: retrySettings(options.retry), signal: options.signal };
  return {
    enrolment: wrapClient(EnrolmentService, transport, policy),
    authentication: wrapClient(AuthenticationService, transport, policy),
    backupCodes: wrapClient(BackupCodeService, transport, policy),
    appPasswords: wrapClient(AppPasswordService, transport, policy),
    admin: wrapClient(AdminService, transport, policy),
    health: wrapClient(Health, transport, policy),
    close,
  };
}
