/**
 * A small, strict XML reader for the subset key containers use (RFC 6030
 * PSKC): elements, attributes, text, CDATA, comments, namespaces resolved by
 * prefix, and the predefined and numeric character references. Anything
 * else — a DOCTYPE, an entity declaration, an unknown entity, a prefix never
 * declared, mismatched tags, deep nesting — is refused, so a hostile file
 * cannot expand entities or reach outside itself (XXE).
 */

/** One element: its namespace URI, local name, attributes (unprefixed only), children and direct text. */
export interface XmlElement {
  ns: string;
  name: string;
  attrs: ReadonlyMap<string, string>;
  children: XmlElement[];
  text: string;
}

/** Why a document is not one this reader accepts; the message never quotes the document. */
export class XmlError extends Error {
  override readonly name = "XmlError";
}

const MAX_DEPTH = 32;
const NAME = /^[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?$/;
const XML_NS = "http://www.w3.org/XML/1998/namespace";
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(raw: string, where: number): string {
  return raw.replace(/&([^;&\s]{0,10});?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) throw new XmlError(`bare '&' near offset ${where}`);
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) return predefined;
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (m === null) throw new XmlError(`unknown entity near offset ${where}`);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2] ?? "", 10);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new XmlError(`bad character reference near offset ${where}`);
    return String.fromCodePoint(cp);
  });
}

interface Open {
  qname: string;
  scope: Map<string, string>;
  element: XmlElement;
}

/** Parses a whole document into its root element, or throws XmlError. */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const n = source.length;
  if (source.charCodeAt(0) === 0xfeff) i = 1;
  const stack: Open[] = [];
  let root: XmlElement | undefined;

  const fail = (what: string): never => {
    throw new XmlError(`${what} at offset ${i}`);
  };

  while (i < n) {
    const lt = source.indexOf("<", i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const raw = source.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (raw.trim() !== "") fail("text outside the root element");
      } else {
        top.element.text += decodeEntities(raw, i);
      }
      i = textEnd;
      if (lt < 0) break;
    }
    if (source.startsWith("<?", i)) {
      const end = source.indexOf("?>", i);
      if (end < 0) fail("unterminated processing instruction");
      const body = source.slice(i + 2, end);
      // Only the XML declaration, and only first.
      if (!/^xml\s/.test(body) || i > 1 || root !== undefined) fail("processing instruction");
      i = end + 2;
    } else if (source.startsWith("<!--", i)) {
      const end = source.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (source.startsWith("<![CDATA[", i)) {
      const end = source.indexOf("]]>", i);
      const top = stack[stack.length - 1];
      if (end < 0 || top === undefined) fail("CDATA outside an element");
      (top as Open).element.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith("<!", i)) {
      fail("DOCTYPE or declaration (refused)");
    } else if (source.startsWith("</", i)) {
      const end = source.indexOf(">", i);
      if (end < 0) fail("unterminated end tag");
      const qname = source.slice(i + 2, end).trim();
      const top = stack.pop();
      if (top === undefined || top.qname !== qname) fail("mismatched end tag");
      i = end + 1;
    } else {
      i = readStartTag(i);
    }
  }
  if (stack.length > 0) throw new XmlError("unclosed element at end of document");
  if (root === undefined) throw new XmlError("no root element");
  return root;

  function readStartTag(start: number): number {
    let j = start + 1;
    const nameMatch = /^[^\s/>]+/.exec(source.slice(j, j + 200));
    if (nameMatch === null || !NAME.test(nameMatch[0])) return fail("bad element name");
    const qname = nameMatch[0];
    j += qname.length;
    const rawAttrs: [string, string][] = [];
    for (;;) {
      while (j < n && /\s/.test(source[j] as string)) j++;
      if (source.startsWith("/>", j) || source[j] === ">") break;
      const am = /^([^\s=/>]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(j, j + 8192));
      if (am === null || !NAME.test(am[1] as string)) return fail("bad attribute");
      const aname = am[1] as string;
      if (rawAttrs.some(([k]) => k === aname)) return fail("duplicate attribute");
      rawAttrs.push([aname, decodeEntities(am[3] ?? am[4] ?? "", j)]);
      j += am[0].length;
      if (j < n && !/[\s/>]/.test(source[j] as string)) return fail("attributes must be separated by space");
    }
    const selfClosing = source.startsWith("/>", j);
    if (j >= n) return fail("unterminated start tag");
    const parent = stack[stack.length - 1];
    const scope = new Map(parent?.scope ?? [["xml", XML_NS]]);
    const attrs = new Map<string, string>();
    for (const [k, v] of rawAttrs) {
      if (k === "xmlns") scope.set("", v);
      else if (k.startsWith("xmlns:")) scope.set(k.slice(6), v);
    }
    for (const [k, v] of rawAttrs) {
      if (k === "xmlns" || k.startsWith("xmlns:")) continue;
      const colon = k.indexOf(":");
      if (colon >= 0 && !scope.has(k.slice(0, colon))) return fail("undeclared attribute prefix");
      // Unprefixed attributes are the ones a schema names; prefixed ones (xml:lang, …) are kept by qname.
      attrs.set(k, v);
    }
    const colon = qname.indexOf(":");
    const prefix = colon >= 0 ? qname.slice(0, colon) : "";
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== "") return fail("undeclared element prefix");
    const element: XmlElement = { ns: ns ?? "", name: colon >= 0 ? qname.slice(colon + 1) : qname, attrs, children: [], text: "" };
    if (parent === undefined) {
      if (root !== undefined) return fail("a second root element");
      root = element;
    } else {
      parent.element.children.push(element);
    }
    if (!selfClosing) {
      if (stack.length >= MAX_DEPTH) return fail("elements nested too deep");
      stack.push({ qname, scope, element });
    }
    return j + (selfClosing ? 2 : 1);
  }
}

/** The children of `el` in namespace `ns` named `name`. */
export function childrenNamed(el: XmlElement, ns: string, name: string): XmlElement[] {
  return el.children.filter((c) => c.ns === ns && c.name === name);
}

/** The one child so named, undefined if none; more than one is refused. */
export function childNamed(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  const found = childrenNamed(el, ns, name);
  if (found.length > 1) throw new XmlError(`more than one <${name}> in <${el.name}>`);
  return found[0];
}
