import { generateURI, ScureBase32Plugin, type HashAlgorithm } from "otplib";
import QRCode from "qrcode";
import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import type { OtpEnrolment } from "../totp/otp-enrolment.js";

const base32 = new ScureBase32Plugin();

/**
 * The HOTP secret in the forms tools take: base32, hex, an `otpauth://hotp`
 * URI that states the starting counter (the Key URI format requires it), and
 * that URI as a QR code. Same shape as the TOTP enrolment.
 */
export async function buildHotpEnrolment(opts: {
  secret: Uint8Array;
  issuer: string;
  accountName: string;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  counter: number;
}): Promise<OtpEnrolment> {
  const secretBase32 = base32.encode(opts.secret, { padding: false });
  const otplibUri = generateURI({
    strategy: "hotp",
    issuer: opts.issuer,
    label: opts.accountName,
    secret: secretBase32,
    algorithm: opts.algorithm.toLowerCase() as HashAlgorithm,
    digits: opts.digits,
    counter: opts.counter,
  });
  // As for TOTP, state every parameter; the issuer:account label stays otplib's.
  const labelPart = otplibUri.slice(0, otplibUri.indexOf("?"));
  const params = [
    `secret=${secretBase32}`,
    ...(opts.issuer === "" ? [] : [`issuer=${encodeURIComponent(opts.issuer)}`]),
    `algorithm=${opts.algorithm}`,
    `digits=${opts.digits}`,
    `counter=${opts.counter}`,
  ];
  const otpauthUri = `${labelPart}?${params.join("&")}`;
  const [qrSvg, qrPng] = await Promise.all([
    QRCode.toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M" }),
    QRCode.toBuffer(otpauthUri, { type: "png", errorCorrectionLevel: "M" }),
  ]);
  return { secretBase32, secretHex: Buffer.from(opts.secret).toString("hex"), otpauthUri, qrSvg, qrPng };
}
