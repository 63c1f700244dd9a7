/** PSKC (RFC 6030) seed import: the key containers hardware token vendors ship. */
export { importPskc, type ImportedToken, type ImportPskcInput } from "./import-pskc.js";
export { MAX_PSKC_BYTES, parsePskc, type PskcToken } from "./parse-pskc.js";
export { PskcError } from "./pskc-error.js";
export { parseXml, XmlError, type XmlElement } from "./xml-reader.js";
