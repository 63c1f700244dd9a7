/**
 * The HPACK (RFC 7541) the load generator's own HTTP/2 client needs: it
 * encodes its request headers through the dynamic table (raw strings, no
 * Huffman) and decodes what a server sends, which may use the static table,
 * the dynamic table and Huffman-coded strings.
 */

/** RFC 7541 Appendix A, indices 1..61. */
const STATIC: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** Static-table index of each full field (`name\0value`), and of each name's first entry. */
const STATIC_FIELD = new Map(STATIC.map(([n, v], i) => [`${n}\0${v}`, i + 1]));
const STATIC_NAME = new Map<string, number>();
STATIC.forEach(([n], i) => {
  if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);
});

/**
 * Code lengths of the Huffman code (RFC 7541 Appendix B), symbols 0..255 and
 * EOS (256). The code is canonical: codes are handed out in order of length,
 * and within a length in order of symbol, so the lengths alone define it.
 */
const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX_CODE_LENGTH = 30;

/** Canonical decoding tables: per length, the first code and where its symbols start in `SYMBOLS`. */
const FIRST_CODE = new Int32Array(MAX_CODE_LENGTH + 2);
const COUNT = new Int32Array(MAX_CODE_LENGTH + 2);
const OFFSET = new Int32Array(MAX_CODE_LENGTH + 2);
const SYMBOLS: number[] = [];
for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
  OFFSET[len] = SYMBOLS.length;
  HUFFMAN_LENGTHS.forEach((l, sym) => {
    if (l === len) SYMBOLS.push(sym);
  });
  COUNT[len] = SYMBOLS.length - (OFFSET[len] as number);
}
for (let len = 1, code = 0; len <= MAX_CODE_LENGTH; len++) {
  code = (code + (COUNT[len - 1] as number)) * 2;
  FIRST_CODE[len] = code;
}

/** The Huffman code of `sym` as [code, length], for tests that build encoded input. */
export function huffmanCode(sym: number): [number, number] {
  const len = HUFFMAN_LENGTHS[sym] as number;
  return [(FIRST_CODE[len] as number) + SYMBOLS.indexOf(sym, OFFSET[len]) - (OFFSET[len] as number), len];
}

export class HpackError extends Error {}

/** Decodes a Huffman-coded string (RFC 7541 §5.2): padding must be the EOS code's leading ones, at most 7 bits. */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let out = "";
  let code = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i] as number;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const index = code - (FIRST_CODE[len] as number);
      if (index < (COUNT[len] as number)) {
        const sym = SYMBOLS[(OFFSET[len] as number) + index] as number;
        if (sym === EOS) throw new HpackError("EOS in a Huffman string");
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len >= MAX_CODE_LENGTH) {
        throw new HpackError("invalid Huffman code");
      }
    }
  }
  if (len > 7 || code !== 2 ** len - 1) throw new HpackError("bad Huffman padding");
  return out;
}

/** Appends an HPACK integer with an N-bit prefix whose high bits are `flags`. */
function pushInt(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, "latin1");
  pushInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/**
 * One connection's encoder. A field not yet sent is sent as a literal with
 * incremental indexing (raw strings; a name in the static table by its
 * index) and from then on as one index: the load's requests repeat the same
 * few fields, so after the first call of each method its header block is a
 * handful of bytes. Nothing is ever evicted: once the peer's table would
 * overflow, new fields go as literals without indexing, so an index, once
 * handed out, stays valid. Blocks must reach the peer in the order they are
 * encoded (RFC 7541 §2.3.2).
 */
export class HpackEncoder {
  /** Insertion number of each field in the peer's dynamic table, by `name\0value`. */
  private readonly inserted = new Map<string, number>();
  private size = 0;
  /** A block that inserted nothing, valid while the table holds as many entries as when it was made. */
  private readonly cache = new WeakMap<object, { entries: number; block: Buffer }>();

  constructor(readonly maxSize = 4096) {}

  encode(fields: ReadonlyArray<readonly [string, string]>): Buffer {
    const cached = this.cache.get(fields);
    if (cached !== undefined && cached.entries === this.inserted.size) return cached.block;
    const entries = this.inserted.size;
    const out: number[] = [];
    for (const [name, value] of fields) {
      const key = `${name}\0${value}`;
      const full = STATIC_FIELD.get(key);
      if (full !== undefined) {
        pushInt(out, full, 7, 0x80);
        continue;
      }
      const k = this.inserted.get(key);
      if (k !== undefined) {
        // The newest entry is index 62; each later insertion pushes this one down by one.
        pushInt(out, STATIC.length + this.inserted.size - k, 7, 0x80);
        continue;
      }
      const size = name.length + value.length + 32;
      const indexing = this.size + size <= this.maxSize;
      const named = STATIC_NAME.get(name) ?? 0;
      if (indexing) {
        pushInt(out, named, 6, 0x40);
        this.inserted.set(key, this.inserted.size);
        this.size += size;
      } else {
        pushInt(out, named, 4, 0);
      }
      if (named === 0) pushString(out, name);
      pushString(out, value);
    }
    const block = Buffer.from(out);
    if (this.inserted.size === entries) this.cache.set(fields, { entries, block });
    return block;
  }
}

/** One connection's decoder: its dynamic table lives as long as the connection (RFC 7541 §2.3.2). */
export class HpackDecoder {
  /** Newest first: index 62 is `dynamic[0]`. */
  private dynamic: Array<[string, string]> = [];
  private size = 0;

  constructor(private maxSize = 4096) {}

  /** The fields of one header block, in order. */
  decode(block: Uint8Array): Array<[string, string]> {
    const fields: Array<[string, string]> = [];
    let pos = 0;
    const int = (prefixBits: number): number => {
      const max = (1 << prefixBits) - 1;
      let value = (block[pos++] as number) & max;
      if (value < max) return value;
      for (let shift = 1; ; shift *= 128) {
        if (pos >= block.length) throw new HpackError("truncated integer");
        const b = block[pos++] as number;
        value += (b & 127) * shift;
        if (b < 128) return value;
        if (shift > 2 ** 28) throw new HpackError("integer too large");
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new HpackError("truncated string");
      const huffman = ((block[pos] as number) & 0x80) !== 0;
      const len = int(7);
      const end = pos + len;
      if (end > block.length) throw new HpackError("truncated string");
      const s = huffman ? huffmanDecode(block, pos, end) : Buffer.from(block.buffer, block.byteOffset + pos, len).toString("latin1");
      pos = end;
      return s;
    };
    while (pos < block.length) {
      const b = block[pos] as number;
      if (b & 0x80) {
        fields.push(this.entry(int(7)));
      } else if (b & 0x40) {
        const index = int(6);
        const name = index === 0 ? str() : (this.entry(index)[0] as string);
        const field: [string, string] = [name, str()];
        fields.push(field);
        this.add(field);
      } else if (b & 0x20) {
        this.maxSize = int(5);
        this.evict(0);
      } else {
        const index = int(4);
        const name = index === 0 ? str() : (this.entry(index)[0] as string);
        fields.push([name, str()]);
      }
    }
    return fields;
  }

  private entry(index: number): [string, string] {
    if (index >= 1 && index <= STATIC.length) return STATIC[index - 1] as [string, string];
    const field = this.dynamic[index - STATIC.length - 1];
    if (field === undefined) throw new HpackError(`no table entry ${index}`);
    return field;
  }

  private add(field: [string, string]): void {
    const size = field[0].length + field[1].length + 32;
    this.evict(size);
    if (size > this.maxSize) return;
    this.dynamic.unshift(field);
    this.size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) {
      const [n, v] = this.dynamic.pop() as [string, string];
      this.size -= n.length + v.length + 32;
    }
  }
}
