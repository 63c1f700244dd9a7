/**
 * Plain-text tables for stdout: one header row, columns padded, numbers
 * right-aligned, so a run's figures can be pasted into an issue or README.
 */

/** A cell: text as is, numbers formatted by the caller (or by {@link fmt}). */
export type Cell = string | number | undefined;

/** `value` with `digits` decimals, thousands grouped by thin spacing; "-" when absent or not finite. */
export function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A share (0..1) as a whole percentage ("69 %"); "-" when absent. */
export function percent(share: number | undefined): string {
  return share === undefined ? "-" : `${fmt(share * 100, 0)} %`;
}

/** Renders `rows` under `headers`; a column is right-aligned when every cell in it looks numeric. */
export function renderTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => headers.map((_, i) => (r[i] === undefined ? "-" : String(r[i]))));
  const numeric = headers.map((_, i) => text.every((r) => /^[-+]?[\d,.]+(\s?[%x×µa-z/]*)?$|^-$/.test(r[i] ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[], header: boolean): string =>
    cells
      .map((c, i) => (numeric[i] === true && !header ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers, true), line(widths.map((w) => "-".repeat(w)), true), ...text.map((r) => line(r, false))].join("\n");
}
