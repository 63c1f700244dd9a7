import type { OtpAlgorithm, OtpDigits, TotpPeriod } from "../../../core/index.js";
import { MAX_LABEL_CHARS, type TokenProfile } from "../../factors/index.js";
import { userIdProblem } from "../../user-id.js";
import { MAX_HOTP_COUNTER, resolveOtpSpec } from "../spec.js";
import { checkValueMac, decryptCipherValue, isKnownCipher, isKnownMac } from "./pskc-crypto.js";
import { PskcError } from "./pskc-error.js";
import { childNamed, childrenNamed, parseXml, XmlError, type XmlElement } from "./xml-reader.js";

/** RFC 6030 namespaces. */
const PSKC = "urn:ietf:params:xml:ns:keyprov:pskc";
const DS = "http://www.w3.org/2000/09/xmldsig#";
const XENC = "http://www.w3.org/2001/04/xmlenc#";

/** Key algorithm URIs (RFC 6030 §10.5, and the `#` spelling some vendors ship). */
const KEY_ALGORITHMS: Record<string, "hotp" | "totp"> = {
  "urn:ietf:params:xml:ns:keyprov:pskc:hotp": "hotp",
  "urn:ietf:params:xml:ns:keyprov:pskc#hotp": "hotp",
  "urn:ietf:params:xml:ns:keyprov:pskc:totp": "totp",
  "urn:ietf:params:xml:ns:keyprov:pskc#totp": "totp",
};
const SUITES: Record<string, OtpAlgorithm> = { "HMAC-SHA1": "SHA1", "HMAC-SHA256": "SHA256", "HMAC-SHA512": "SHA512" };
/** Key containers are small; a bigger file is a mistake or an attack. */
export const MAX_PSKC_BYTES = 4 * 1024 * 1024;

/** The container element a spec field comes from, for the refusal message. */
function specElement(field: string): string {
  const names: Record<string, string> = {
    digits: "ResponseFormat Length",
    period_seconds: "TimeInterval",
    secret: "Secret:",
    counter: "Counter",
    algorithm: "Suite:",
  };
  return names[field] ?? field;
}

/** One token of a container, validated and decrypted, ready to become a factor. */
export interface PskcToken {
  keyId: string;
  kind: "hotp" | "totp";
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  secret: Buffer;
  /** HOTP: the counter the token shows next. */
  counter: number;
  /** TOTP: the time step, seconds. */
  periodSeconds: TotpPeriod;
  userId: string;
  manufacturer: string;
  serialNo: string;
  tokenProfile: TokenProfile;
  label: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || !BASE64.test(compact)) throw new PskcError(`${what}: not base64`);
  return Buffer.from(compact, "base64");
}

function textOf(el: XmlElement | undefined): string {
  return el === undefined ? "" : el.text.trim();
}

function need(el: XmlElement | undefined, what: string): XmlElement {
  if (el === undefined) throw new PskcError(`missing ${what}`);
  return el;
}

/** The manufacturer's token model as twofold's profile (docs/design.md "TOTP and HOTP": hardware profiles limit the spec). */
export function profileOf(manufacturer: string, model: string): TokenProfile {
  if (!/nitrokey/i.test(manufacturer)) return "generic";
  return /storage/i.test(model) ? "nitrokey_storage" : "nitrokey_pro";
}

/** An RFC 6030 encrypted value: EncryptionMethod and CipherValue, decrypted under `key`. */
function cipherValueOf(el: XmlElement, what: string): { algorithm: string; cipherValue: Buffer } {
  const method = need(childNamed(el, XENC, "EncryptionMethod"), `${what} EncryptionMethod`);
  const algorithm = method.attrs.get("Algorithm") ?? "";
  if (!isKnownCipher(algorithm)) throw new PskcError(`${what}: unsupported encryption algorithm`);
  const data = need(childNamed(el, XENC, "CipherData"), `${what} CipherData`);
  const cipherValue = base64(textOf(need(childNamed(data, XENC, "CipherValue"), `${what} CipherValue`)), what);
  return { algorithm, cipherValue };
}

interface Keys {
  psk: Uint8Array | undefined;
  mac: { algorithm: string; key: Buffer } | undefined;
}

function secretOf(secretEl: XmlElement, keys: Keys, what: string): Buffer {
  const plain = childNamed(secretEl, PSKC, "PlainValue");
  const encrypted = childNamed(secretEl, PSKC, "EncryptedValue");
  if ((plain === undefined) === (encrypted === undefined)) throw new PskcError(`${what}: needs exactly one of PlainValue or EncryptedValue`);
  if (plain !== undefined) return base64(textOf(plain), what);
  if (keys.psk === undefined) throw new PskcError(`${what}: encrypted; give the pre-shared key`);
  if (keys.mac === undefined) throw new PskcError(`${what}: encrypted but the container has no MACMethod`);
  const { algorithm, cipherValue } = cipherValueOf(encrypted as XmlElement, what);
  // Ensure the ciphertext is the one the vendor wrote before decrypting it (RFC 6030 §6.1.1).
  const mac = base64(textOf(need(childNamed(secretEl, PSKC, "ValueMAC"), `${what} ValueMAC`)), `${what} ValueMAC`);
  checkValueMac(keys.mac.algorithm, keys.mac.key, cipherValue, mac, what);
  return decryptCipherValue(algorithm, keys.psk, cipherValue, what);
}

function plainInteger(el: XmlElement | undefined, what: string, fallback: number, max: number): number {
  if (el === undefined) return fallback;
  if (childNamed(el, PSKC, "EncryptedValue") !== undefined) throw new PskcError(`${what}: encrypted values are not supported here`);
  const text = textOf(need(childNamed(el, PSKC, "PlainValue"), `${what} PlainValue`));
  if (!/^[0-9]{1,16}$/.test(text) || Number(text) > max) throw new PskcError(`${what}: must be an integer 0-${max}`);
  return Number(text);
}

function checkUserId(userId: string, what: string): void {
  const problem = userIdProblem(userId);
  if (problem !== undefined) throw new PskcError(`${what}: UserId ${problem}`);
}

function tokenOf(pkg: XmlElement, keys: Keys): PskcToken {
  const key = need(childNamed(pkg, PSKC, "Key"), "Key in a KeyPackage");
  const keyId = key.attrs.get("Id") ?? "";
  if (keyId === "" || keyId.length > 128 || /[\p{Cc}]/u.test(keyId)) throw new PskcError("a Key without a usable Id");
  const what = `key ${JSON.stringify(keyId)}`;
  const kind = KEY_ALGORITHMS[key.attrs.get("Algorithm") ?? ""];
  if (kind === undefined) throw new PskcError(`${what}: unknown algorithm (HOTP and TOTP only)`);

  const device = childNamed(pkg, PSKC, "DeviceInfo");
  const manufacturer = textOf(device && childNamed(device, PSKC, "Manufacturer"));
  const serialNo = textOf(device && childNamed(device, PSKC, "SerialNo"));
  const model = textOf(device && childNamed(device, PSKC, "Model"));
  const tokenProfile = profileOf(manufacturer, model);

  // The user: on the Key (RFC 6030 §4.3.2), else on the package or the device.
  const userId =
    textOf(childNamed(key, PSKC, "UserId")) || textOf(childNamed(pkg, PSKC, "UserId")) || textOf(device && childNamed(device, PSKC, "UserId"));
  if (userId === "") throw new PskcError(`${what}: no UserId`);
  checkUserId(userId, what);

  const params = childNamed(key, PSKC, "AlgorithmParameters");
  const format = need(params && childNamed(params, PSKC, "ResponseFormat"), `${what} ResponseFormat`);
  const length = format.attrs.get("Length");
  if (length !== "6" && length !== "8") throw new PskcError(`${what}: ResponseFormat Length must be 6 or 8`);
  if (format.attrs.get("Encoding") !== "DECIMAL") throw new PskcError(`${what}: ResponseFormat Encoding must be DECIMAL`);
  const suite = textOf(params && childNamed(params, PSKC, "Suite"));
  const algorithm = suite === "" ? "SHA1" : SUITES[suite.toUpperCase()];
  if (algorithm === undefined) throw new PskcError(`${what}: unsupported Suite`);

  const data = need(childNamed(key, PSKC, "Data"), `${what} Data`);
  const secret = secretOf(need(childNamed(data, PSKC, "Secret"), `${what} Secret`), keys, what);
  const counter = kind === "hotp" ? plainInteger(childNamed(data, PSKC, "Counter"), `${what} Counter`, 0, MAX_HOTP_COUNTER) : 0;
  const period = kind === "totp" ? plainInteger(childNamed(data, PSKC, "TimeInterval"), `${what} TimeInterval`, 30, 3600) : 30;
  if (kind === "totp" && plainInteger(childNamed(data, PSKC, "Time"), `${what} Time`, 0, 0) !== 0) {
    secret.fill(0);
    throw new PskcError(`${what}: Time (T0) must be 0`);
  }
  // An empty secret means "generate one" at Enrol; a container must carry one.
  if (secret.length === 0) throw new PskcError(`${what}: the secret is empty (an imported secret must be 16-64 bytes)`);
  // The same rules as Enrol: secret size, period, counter, and what a Nitrokey can hold.
  const resolved = resolveOtpSpec({
    kind,
    algorithm,
    digits: Number(length),
    periodSeconds: period,
    secret,
    counter: BigInt(counter),
    issuer: "",
    accountName: "",
    tokenProfile,
  });
  if (!resolved.ok) {
    secret.fill(0);
    throw new PskcError(`${what}: ${resolved.violations.map((v) => `${specElement(v.field)} ${v.description}`).join("; ")}`);
  }
  const label = [...(serialNo === "" ? `${manufacturer} key ${keyId}` : `${manufacturer} ${serialNo}`).trim()].slice(0, MAX_LABEL_CHARS).join("");
  return {
    keyId,
    kind,
    algorithm,
    digits: Number(length) as OtpDigits,
    secret,
    counter,
    periodSeconds: resolved.spec.periodSeconds,
    userId,
    manufacturer,
    serialNo,
    tokenProfile,
    label,
  };
}

/**
 * Reads an RFC 6030 key container as token vendors ship it: plain secrets, or
 * secrets encrypted under a pre-shared AES key with an HMAC ValueMAC whose
 * MAC key is itself encrypted under that key. Every key is validated and
 * every MAC checked before anything is returned; any problem refuses the
 * whole container with a PskcError naming the key and the problem.
 */
export function parsePskc(source: string, preSharedKey: Uint8Array | undefined): PskcToken[] {
  if (Buffer.byteLength(source, "utf8") > MAX_PSKC_BYTES) throw new PskcError("the file is too large for a key container");
  let root: XmlElement;
  try {
    root = parseXml(source);
  } catch (err) {
    if (err instanceof XmlError) throw new PskcError(`not well-formed XML: ${err.message}`);
    throw err;
  }
  // Ensure this is a PSKC 1.0 KeyContainer.
  if (root.ns !== PSKC || root.name !== "KeyContainer") throw new PskcError("the root element is not a PSKC KeyContainer");
  if (root.attrs.get("Version") !== "1.0") throw new PskcError("only PSKC Version 1.0 is supported");
  const tokens: PskcToken[] = [];
  try {
    return readContainer(root, preSharedKey, tokens);
  } catch (err) {
    // Wipe whatever was decrypted before the refusal.
    for (const t of tokens) t.secret.fill(0);
    if (err instanceof XmlError) throw new PskcError(err.message);
    throw err;
  }
}

function readContainer(root: XmlElement, psk: Uint8Array | undefined, tokens: PskcToken[]): PskcToken[] {
  const encryptionKey = childNamed(root, PSKC, "EncryptionKey");
  if (encryptionKey !== undefined && childNamed(encryptionKey, DS, "KeyName") === undefined) {
    throw new PskcError("EncryptionKey: only a pre-shared key named by ds:KeyName is supported");
  }
  const keys: Keys = { psk: encryptionKey === undefined ? undefined : psk, mac: undefined };
  if (encryptionKey !== undefined && psk === undefined) throw new PskcError("the container is encrypted; give the pre-shared key");
  const macMethod = childNamed(root, PSKC, "MACMethod");
  if (macMethod !== undefined) {
    const algorithm = macMethod.attrs.get("Algorithm") ?? "";
    if (!isKnownMac(algorithm)) throw new PskcError("MACMethod: unsupported MAC algorithm");
    if (keys.psk === undefined) throw new PskcError("MACMethod without an EncryptionKey");
    const { algorithm: cipher, cipherValue } = cipherValueOf(need(childNamed(macMethod, PSKC, "MACKey"), "MACKey"), "MACKey");
    keys.mac = { algorithm, key: decryptCipherValue(cipher, keys.psk, cipherValue, "MACKey") };
  }
  const packages = childrenNamed(root, PSKC, "KeyPackage");
  if (packages.length === 0) throw new PskcError("the container holds no KeyPackage");
  const ids = new Set<string>();
  for (const pkg of packages) {
    const token = tokenOf(pkg, keys);
    tokens.push(token);
    if (ids.has(token.keyId)) throw new PskcError(`key ${JSON.stringify(token.keyId)}: duplicate Key Id`);
    ids.add(token.keyId);
  }
  keys.mac?.key.fill(0);
  return tokens;
}
