import { isCaCertificate, parseCertificate } from "../../crypto/x509.js";
import { invalidArgument, type FieldViolation } from "../errors.js";
import type { RelyingPartySettings } from "./relying-party.js";

export const MAX_RP_NAME_CHARS = 64;
export const MAX_ALLOWED_ORIGINS = 20;
export const MAX_ALLOWED_AAGUIDS = 100;
export const MAX_ATTESTATION_ROOTS = 20;
/** Attestation roots are 0.5-2 KB; 8 KiB leaves room for any real one. */
export const MAX_ATTESTATION_ROOT_BYTES = 8192;

/** A relying party as a caller sends it, before validation. */
export interface RelyingPartyInput {
  rpId: string;
  rpName: string;
  allowedOrigins: readonly string[];
  allowedAaguids: readonly string[];
  /** DER X.509 CA certificates; omitted means none. */
  attestationRootCertificates?: readonly Uint8Array[];
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An RP ID must be a valid domain (WebAuthn §5.1.4.1, "RP ID"): DNS labels of
 * ASCII letters, digits and inner hyphens (IDNs in their xn-- form), at least
 * two labels so a bare TLD cannot be claimed, and a top-level label that is not
 * all digits so an IP address is refused. `localhost` is the one single-label
 * exception, for development. Without a Public Suffix List this cannot refuse
 * every public suffix (e.g. `co.uk`); browsers refuse those at ceremony time.
 */
function rpIdProblem(rpId: string): string | undefined {
  if (rpId === "localhost") return undefined;
  if (rpId.length < 1 || rpId.length > 253) return "must be a domain name of 1-253 characters";
  const labels = rpId.split(".");
  if (labels.some((l) => !LABEL.test(l))) {
    return "must be a domain name of letters, digits and hyphens (IDNs in xn-- form), or localhost";
  }
  if (labels.length < 2) return "must be a registrable domain (e.g. example.com) or localhost";
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return "must be a domain name, not an IP address";
  return undefined;
}

/** True when `host` is the RP ID or a subdomain of it (WebAuthn §5.1.4.1: the RP ID is a registrable suffix of the origin's domain). */
function hostWithinRpId(host: string, rpId: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * One allowed origin in its normalised form (`URL.origin`: lower-case host,
 * default port dropped), or the reason it is refused. https only, except plain
 * http for localhost in development (a "potentially trustworthy" origin per
 * W3C Secure Contexts §3.2).
 */
function parseOrigin(raw: string, rpId: string | undefined): { origin: string } | { problem: string } {
  if (/[\s\p{Cc}]/u.test(raw)) return { problem: "must not contain spaces or control characters" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: "must be an absolute URL such as https://login.example.com" };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && url.hostname === "localhost")) {
    return { problem: "must use https (plain http only for localhost)" };
  }
  if (url.username !== "" || url.password !== "") return { problem: "must not contain user information" };
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[?#]/.test(raw)) {
    return { problem: "must be an origin: scheme, host and optional port, no path, query or fragment" };
  }
  if (rpId !== undefined && !hostWithinRpId(url.hostname, rpId)) {
    return { problem: `host must be ${rpId} or a subdomain of it` };
  }
  return { origin: url.origin };
}

/** Why a DER blob cannot serve as an attestation trust anchor, or undefined when it can. */
function attestationRootProblem(der: Uint8Array): string | undefined {
  if (der.length === 0 || der.length > MAX_ATTESTATION_ROOT_BYTES) return `must be a DER certificate of 1-${MAX_ATTESTATION_ROOT_BYTES} bytes`;
  const cert = parseCertificate(der);
  if (cert === undefined) return "must be a DER X.509 certificate";
  if (!isCaCertificate(cert)) return "must be a CA certificate (basicConstraints cA=true)";
  return undefined;
}

/**
 * Validates a relying party and returns it normalised: rp_id and AAGUIDs
 * lower-cased, origins in `URL.origin` form, lists deduplicated. Every bad
 * field is reported at once; a bad list entry is named by its indexed path
 * (`allowed_origins[2]`), a list of the wrong length by the list's name.
 */
export function parseRelyingParty(input: RelyingPartyInput): RelyingPartySettings {
  const violations: FieldViolation[] = [];

  // Ensure the RP ID is a domain the origins can live under.
  const rpId = input.rpId.toLowerCase();
  const rpIdBad = rpIdProblem(rpId);
  if (rpIdBad !== undefined) violations.push({ field: "rp_id", description: rpIdBad });

  // Ensure the name is printable and short enough for authenticator displays.
  const nameChars = [...input.rpName].length;
  if (nameChars < 1 || nameChars > MAX_RP_NAME_CHARS || /[\p{Cc}\uFFFD]/u.test(input.rpName)) {
    violations.push({ field: "rp_name", description: `must be 1-${MAX_RP_NAME_CHARS} characters, no control characters` });
  }

  // Ensure every origin is a secure origin under the RP ID.
  const origins = new Set<string>();
  const originsFit = input.allowedOrigins.length >= 1 && input.allowedOrigins.length <= MAX_ALLOWED_ORIGINS;
  if (!originsFit) violations.push({ field: "allowed_origins", description: `must list 1-${MAX_ALLOWED_ORIGINS} origins` });
  // Entries of an overlong list are not examined one by one: one violation says enough.
  (originsFit ? input.allowedOrigins : []).forEach((raw, i) => {
    const parsed = parseOrigin(raw, rpIdBad === undefined ? rpId : undefined);
    if ("problem" in parsed) {
      violations.push({ field: `allowed_origins[${i}]`, description: parsed.problem });
    } else {
      origins.add(parsed.origin);
    }
  });

  // Ensure every AAGUID is a UUID (WebAuthn §6.5.1: a 128-bit identifier).
  const aaguids = new Set<string>();
  const aaguidsFit = input.allowedAaguids.length <= MAX_ALLOWED_AAGUIDS;
  if (!aaguidsFit) violations.push({ field: "allowed_aaguids", description: `at most ${MAX_ALLOWED_AAGUIDS} AAGUIDs` });
  (aaguidsFit ? input.allowedAaguids : []).forEach((raw, i) => {
    const aaguid = raw.toLowerCase();
    if (!UUID.test(aaguid)) {
      violations.push({ field: `allowed_aaguids[${i}]`, description: "must be a UUID (8-4-4-4-12 hex digits)" });
    } else {
      aaguids.add(aaguid);
    }
  });

  // Ensure every attestation root is a CA certificate a chain can end at.
  const rootsIn = input.attestationRootCertificates ?? [];
  const roots = new Map<string, Uint8Array>();
  const rootsFit = rootsIn.length <= MAX_ATTESTATION_ROOTS;
  if (!rootsFit) violations.push({ field: "attestation_root_certificates", description: `at most ${MAX_ATTESTATION_ROOTS} certificates` });
  (rootsFit ? rootsIn : []).forEach((der, i) => {
    const problem = attestationRootProblem(der);
    if (problem !== undefined) {
      violations.push({ field: `attestation_root_certificates[${i}]`, description: problem });
    } else {
      roots.set(Buffer.from(der).toString("base64"), new Uint8Array(der));
    }
  });

  if (violations.length > 0) throw invalidArgument(violations);
  return {
    rpId,
    rpName: input.rpName,
    allowedOrigins: [...origins],
    allowedAaguids: [...aaguids],
    attestationRootCertificates: [...roots.values()],
  };
}
