import { describe, expect, it } from "vitest";
import { parsePskc, parseXml, PskcError, XmlError } from "../../src/domain/otp/pskc/index.js";
import { decryptCipherValue } from "../../src/domain/otp/pskc/pskc-crypto.js";
import { ENCRYPTED, flipByteIn, PLAIN, PSK, SEEDS } from "./fixtures.js";

/** RFC 6030 Figure 6: the MAC key CipherValue (IV first) under PSK 1234…9012 decrypts to 1122…9900. */
const RFC6030_FIG6_MACKEY_CIPHERVALUE = "ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX";

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PskcError || err instanceof XmlError) return err.message;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("the XML reader", () => {
  it("resolves namespaces by prefix, decodes entities and keeps CDATA", () => {
    const el = parseXml(`<?xml version="1.0"?><p:a xmlns:p="urn:x" k="1 &lt; 2"><p:b>&amp;&#65;&#x42;<![CDATA[<c>]]></p:b><!-- note --></p:a>`);
    expect([el.ns, el.name, el.attrs.get("k")]).toEqual(["urn:x", "a", "1 < 2"]);
    expect(el.children[0]?.text).toBe("&AB<c>");
  });

  it("refuses a DOCTYPE, entity declarations, unknown entities, undeclared prefixes and mismatched tags", () => {
    expect(refusal(() => parseXml(`<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`))).toMatch(/DOCTYPE/);
    expect(refusal(() => parseXml(`<a>&x;</a>`))).toMatch(/unknown entity/);
    expect(refusal(() => parseXml(`<q:a/>`))).toMatch(/undeclared/);
    expect(refusal(() => parseXml(`<a><b></a></b>`))).toMatch(/mismatched/);
    expect(refusal(() => parseXml(`<a></a><b/>`))).toMatch(/second root/);
    expect(refusal(() => parseXml(`<a>`))).toMatch(/unclosed/);
  });
});

describe("reading a PSKC container", () => {
  it("decrypts RFC 6030 Figure 6's MAC key with the IV taken from the CipherValue", () => {
    const cv = Buffer.from(RFC6030_FIG6_MACKEY_CIPHERVALUE, "base64");
    const key = Buffer.from("12345678901234567890123456789012", "hex");
    expect(decryptCipherValue("http://www.w3.org/2001/04/xmlenc#aes128-cbc", key, cv, "MACKey").toString("hex")).toBe(
      "1122334455667788990011223344556677889900",
    );
  });

  it("reads plain tokens with their user, kind, digits, profile and label from the serial", () => {
    const tokens = parsePskc(PLAIN, undefined);
    expect(tokens.map((t) => [t.keyId, t.userId, t.kind, t.digits, t.tokenProfile, t.label, t.counter, t.periodSeconds])).toEqual([
      ["NK-PRO-HOTP-1", "alice@example.com", "hotp", 6, "nitrokey_pro", "Nitrokey 000012345601", 0, 30],
      ["NK-STO-TOTP-1", "bob@example.com", "totp", 6, "nitrokey_storage", "Nitrokey 000099887766", 0, 30],
      ["GEN-HOTP-8", "carol@example.com", "hotp", 8, "generic", "ACME Tokens & Co ACME-42", 5, 30],
    ]);
    expect(tokens.map((t) => t.secret.toString("hex"))).toEqual(Object.values(SEEDS.plain));
  });

  it("decrypts PSK-encrypted tokens after checking each ValueMAC", () => {
    const tokens = parsePskc(ENCRYPTED, PSK);
    expect(tokens.map((t) => [t.keyId, t.userId, t.kind, t.digits, t.periodSeconds, t.counter, t.tokenProfile])).toEqual([
      ["NK-PRO-HOTP-2", "dave@example.com", "hotp", 6, 30, 10, "nitrokey_pro"],
      ["NK-PRO-TOTP-2", "erin@example.com", "totp", 8, 30, 0, "nitrokey_pro"],
      ["GEN-TOTP-60", "frank@example.com", "totp", 6, 60, 0, "generic"],
    ]);
    expect(tokens.map((t) => t.secret.toString("hex"))).toEqual(Object.values(SEEDS.psk));
  });

  it("refuses a tampered or undecryptable container, naming the reason", () => {
    expect(refusal(() => parsePskc(flipByteIn(ENCRYPTED, "ValueMAC", 1), PSK))).toMatch(/NK-PRO-TOTP-2.*MAC mismatch/);
    expect(refusal(() => parsePskc(flipByteIn(ENCRYPTED, "xenc:CipherValue", 2), PSK))).toMatch(/NK-PRO-TOTP-2.*MAC mismatch/);
    expect(refusal(() => parsePskc(ENCRYPTED, Buffer.alloc(16, 9)))).toMatch(/MACKey|MAC mismatch/);
    expect(refusal(() => parsePskc(ENCRYPTED, undefined))).toMatch(/pre-shared key/);
    expect(refusal(() => parsePskc(ENCRYPTED, Buffer.alloc(32, 9)))).toMatch(/16 bytes/);
  });

  it("refuses the whole container for one bad key among good ones", () => {
    const unknownAlgorithm = PLAIN.replace("pskc:hotp\"", "pskc:ocra\"");
    expect(refusal(() => parsePskc(unknownAlgorithm, undefined))).toMatch(/NK-PRO-HOTP-1.*unknown algorithm/);
    const noUser = PLAIN.replace("<UserId>carol@example.com</UserId>", "");
    expect(refusal(() => parsePskc(noUser, undefined))).toMatch(/GEN-HOTP-8.*no UserId/);
    const duplicate = PLAIN.replace('Id="GEN-HOTP-8"', 'Id="NK-PRO-HOTP-1"');
    expect(refusal(() => parsePskc(duplicate, undefined))).toMatch(/duplicate Key Id/);
    const short = PLAIN.replace(Buffer.from(SEEDS.plain["GEN-HOTP-8"] ?? "", "hex").toString("base64"), Buffer.alloc(15, 1).toString("base64"));
    expect(refusal(() => parsePskc(short, undefined))).toMatch(/GEN-HOTP-8.*16-64 bytes/);
    const tooLongForNitrokey = PLAIN.replace(
      Buffer.from(SEEDS.plain["NK-PRO-HOTP-1"] ?? "", "hex").toString("base64"),
      Buffer.alloc(41, 1).toString("base64"),
    );
    expect(refusal(() => parsePskc(tooLongForNitrokey, undefined))).toMatch(/NK-PRO-HOTP-1.*at most 40 bytes/);
    expect(refusal(() => parsePskc(PLAIN.replace('Length="8"', 'Length="7"'), undefined))).toMatch(/GEN-HOTP-8.*6 or 8/);
    expect(refusal(() => parsePskc(PLAIN.replace("</KeyContainer>", ""), undefined))).toMatch(/not well-formed XML/);
  });

  it("never puts a secret in a refusal", () => {
    const messages = [
      refusal(() => parsePskc(flipByteIn(ENCRYPTED, "ValueMAC"), PSK)),
      refusal(() => parsePskc(PLAIN.replace("pskc:totp\"", "pskc:x\""), undefined)),
    ];
    for (const m of messages) {
      for (const s of [...Object.values(SEEDS.plain), ...Object.values(SEEDS.psk)]) {
        expect(m).not.toContain(s);
        expect(m).not.toContain(Buffer.from(s, "hex").toString("base64"));
      }
    }
  });
});
