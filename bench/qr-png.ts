/**
 * Micro-benchmark of the enrolment QR PNG (`npx tsx bench/qr-png.ts`).
 *
 * Renders the same realistic otpauth URI (SHA-512, 8 digits, long issuer and
 * account) with qrcode's toBuffer (pngjs, RGBA, filter search per row) and with
 * our 1-bit writer, in one process, in alternating slices, so both see the
 * same machine load; prints renders per second, the ratio, and the sizes.
 * Two more rows time the module matrix alone, with its mask search: qrcode's
 * (QRCode.create, what toBuffer starts from) and ours (qr-matrix.ts, what
 * the 1-bit writer starts from).
 *
 *   npx tsx bench/qr-png.ts [--seconds N] [--smoke]
 */
import QRCode from "qrcode";
import { buildOtpEnrolment } from "../src/domain/otp/enrolment.js";
import { qrMatrix } from "../src/domain/otp/qr-matrix.js";
import { renderQrPng } from "../src/domain/otp/qr-png.js";

const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
const secondsArg = args.indexOf("--seconds");
// Total seconds per renderer, spread over the slices.
const seconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : smoke ? 0.4 : 4;
const SLICES = 20;

const { otpauthUri } = await buildOtpEnrolment(
  { kind: "totp", periodSeconds: 30 },
  {
    secret: Buffer.from("1234567890".repeat(7).slice(0, 64), "latin1"),
    issuer: "Example Corp Intranet",
    accountName: "alice.wonderland@example.com",
    algorithm: "SHA512",
    digits: 8,
  },
);

const renderers: { name: string; render: () => Promise<Buffer>; png?: false }[] = [
  { name: "qrcode toBuffer (pngjs)", render: () => QRCode.toBuffer(otpauthUri, { type: "png", errorCorrectionLevel: "M" }) },
  { name: "twofold 1-bit writer", render: async () => renderQrPng(otpauthUri, { errorCorrectionLevel: "M", margin: 4, scale: 4 }) },
  // Not PNGs: the module matrix each renderer starts from, to show the floor. qrcode's row is
  // toBuffer's start, from the text (with its segment search); ours is the enrolment's, from the bytes.
  {
    name: "QRCode.create alone",
    render: async () => Buffer.from(QRCode.create(otpauthUri, { errorCorrectionLevel: "M" }).modules.data),
    png: false,
  },
  { name: "twofold qrMatrix alone", render: async () => Buffer.from(qrMatrix(Buffer.from(otpauthUri, "utf8"), "M").data), png: false },
];

const totals = renderers.map(() => ({ renders: 0, nanos: 0n }));

/** Renders for about `budget` nanoseconds; adds to that renderer's totals. */
async function slice(index: number, budget: bigint): Promise<void> {
  const { render } = renderers[index]!;
  const total = totals[index]!;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < budget) {
    await render();
    total.renders++;
    elapsed = process.hrtime.bigint() - start;
  }
  total.nanos += elapsed;
}

// Warm up both before measuring.
for (let i = 0; i < 50; i++) for (const r of renderers) await r.render();
const budget = BigInt(Math.round((seconds / SLICES) * 1e9));
for (let s = 0; s < SLICES; s++) {
  // Alternate which goes first, so neither always follows the other's garbage.
  const order = renderers.map((_, i) => i);
  if (s % 2 === 1) order.reverse();
  for (const i of order) await slice(i, budget);
}

const rates = totals.map((t) => t.renders / (Number(t.nanos) / 1e9));
const sizes = await Promise.all(renderers.map(async (r) => (await r.render()).length));
const width = Math.max(...renderers.map((r) => r.name.length));
console.log(`URI of ${otpauthUri.length} characters, ${QRCode.create(otpauthUri, { errorCorrectionLevel: "M" }).modules.size} modules a side`);
console.log(`${"renderer".padEnd(width)}  renders/s  µs/render  PNG bytes`);
renderers.forEach((r, i) => {
  const rate = rates[i]!;
  console.log(
    `${r.name.padEnd(width)}  ${rate.toFixed(0).padStart(9)}  ${(1e6 / rate).toFixed(1).padStart(9)}  ${(r.png === false ? "-" : String(sizes[i])).padStart(9)}`,
  );
});
console.log(`ratio twofold / qrcode: ${(rates[1]! / rates[0]!).toFixed(2)}`);
