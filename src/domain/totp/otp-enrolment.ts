import { generateURI, ScureBase32Plugin, type HashAlgorithm } from "otplib";
import QRCode from "qrcode";
import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";

/** What a user needs to set up an OTP factor; shown once, never stored. */
export interface OtpEnrolment {
  secretBase32: string;
  secretHex: string;
  otpauthUri: string;
  qrSvg: string;
  qrPng: Buffer;
}

const base32 = new ScureBase32Plugin();

/**
 * The secret in the forms apps take: unpadded base32 (Google Authenticator's
 * Key URI format), hex (oathtool, Nitrokey tools), the `otpauth://` URI built
 * by otplib, and that URI as a QR code in SVG and PNG.
 */
export async function buildOtpEnrolment(opts: {
  secret: Uint8Array;
  issuer: string;
  accountName: string;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  periodSeconds: number;
}): Promise<OtpEnrolment> {
  const secretBase32 = base32.encode(opts.secret, { padding: false });
  const otplibUri = generateURI({
    strategy: "totp",
    issuer: opts.issuer,
    label: opts.accountName,
    secret: secretBase32,
    algorithm: opts.algorithm.toLowerCase() as HashAlgorithm,
    digits: opts.digits,
    period: opts.periodSeconds,
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
    `period=${opts.periodSeconds}`,
  ];
  const otpauthUri = `${labelPart}?${params.join("&")}`;
  const [qrSvg, qrPng] = await Promise.all([
    QRCode.toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M" }),
    QRCode.toBuffer(otpauthUri, { type: "png", errorCorrectionLevel: "M" }),
  ]);
  return { secretBase32, secretHex: Buffer.from(opts.secret).toString("hex"), otpauthUri, qrSvg, qrPng };
}
