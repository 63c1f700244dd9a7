/**
 * A QR module matrix as SVG text: a white square for the symbol and its
 * quiet zone, and one path of horizontal runs of dark modules, one unit per
 * module (scalable: the page sizes it). Each run is drawn as a 1-unit-wide
 * stroke along the middle of its row, the same construction qrcode's own SVG
 * renderer uses, so viewers without anti-aliasing of fills draw crisp edges.
 */
export function renderQrSvg(size: number, modules: Uint8Array, margin: number): string {
  const side = size + 2 * margin;
  const runs: string[] = [];
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (modules[row * size + col] === 0) {
        col++;
        continue;
      }
      const start = col;
      while (col < size && modules[row * size + col] !== 0) col++;
      runs.push(`M${start + margin} ${row + margin + 0.5}h${col - start}`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `<path fill="#ffffff" d="M0 0h${side}v${side}H0z"/>` +
    `<path stroke="#000000" d="${runs.join("")}"/>` +
    `</svg>\n`
  );
}
