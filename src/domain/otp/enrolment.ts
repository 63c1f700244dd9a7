import { generateURI, ScureBase32Plugin, type HashAlgorithm } from "otplib";
import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import { renderQrImages } from "./qr-png.js";

/** What a user needs to set up an OTP factor; shown once, never stored. */
export interface OtpEnrolment {
  secretBase32: string;
  secretHex: string;
  otpauthUri: string;
  qrSvg: string;
  qrPng: Buffer;
}

/**
 * How the codes move on: a TOTP step length, or the HOTP starting counter
 * (the Key URI format requires `counter` for `otpauth://hotp`).
 */
export type OtpSchedule = { kind: "totp"; periodSeconds: number } | { kind: "hotp"; counter: number };

const base32 = new ScureBase32Plugin();

/**
 * The secret in the forms apps take, for TOTP and HOTP alike, so both factors
 * hand out the same shape: unpadded base32 (Google Authenticator's Key URI
 * format), hex (oathtool, Nitrokey tools), the `otpauth://totp` or
 * `otpauth://hotp` URI, and that URI as a QR code in SVG and PNG.
 */
export async function buildOtpEnrolment(
  schedule: OtpSchedule,
  opts: {
    secret: Uint8Array;
    issuer: string;
    accountName: string;
    algorithm: OtpAlgorithm;
    digits: OtpDigits;
  },
): Promise<OtpEnrolment> {
  const secretBase32 = base32.encode(opts.secret, { padding: false });
  const otplibUri = generateURI({
    strategy: schedule.kind,
    issuer: opts.issuer,
    label: opts.accountName,
    secret: secretBase32,
    algorithm: opts.algorithm.toLowerCase() as HashAlgorithm,
    digits: opts.digits,
    ...(schedule.kind === "totp" ? { period: schedule.periodSeconds } : { counter: schedule.counter }),
  });
  // otplib leaves out parameters equal to the Key URI defaults; state all of
  // them, so tools that assume other defaults (some hardware token utilities)
  // read the same spec. The issuer:account label stays otplib's.
  const labelPart = otplibUri.slice(0, otplibUri.indexOf("?"));
  const params = [
    `secret=${secretBase32}`,
    ...(opts.issuer === "" ? [] : [`issuer=${encodeURIComponent(opts.issuer)}`]),
    `algorithm=${opts.algorithm}`,
    `digits=${opts.digits}`,
    schedule.kind === "totp" ? `period=${schedule.periodSeconds}` : `counter=${schedule.counter}`,
  ];
  const otpauthUri = `${labelPart}?${params.join("&")}`;
  // qrcode's defaults (error correction M, 4-module quiet zone, 4 pixels a module for
  // the PNG), drawn from one module matrix by our 1-bit PNG and SVG writers.
  const { png: qrPng, svg: qrSvg } = renderQrImages(otpauthUri, { errorCorrectionLevel: "M", margin: 4, scale: 4 });
  return { secretBase32, secretHex: Buffer.from(opts.secret).toString("hex"), otpauthUri, qrSvg, qrPng };
}
