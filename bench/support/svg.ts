/**
 * A small SVG line-chart writer for the charts of docs/benchmarks.md (no dependency: the charts
 * are a few polylines, axes and labels).
 *
 * @example
 * ```ts
 * const svg = lineChart({
 *   title: 'P1 latency',
 *   xLabel: 'percentile',
 *   yLabel: 'ms',
 *   lines: [{ name: 'pay()', points: [[0, 0.8], [50, 1.1], [99, 3.2]] }],
 * });
 * ```
 */

/** One line of a chart. */
export interface Line {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

/** What {@link lineChart} draws. */
export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly lines: readonly Line[];
  /** Horizontal reference lines, e.g. a target. */
  readonly marks?: readonly { readonly name: string; readonly y: number }[];
}

const width = 640;
const height = 360;
const pad = { left: 64, right: 32, top: 40, bottom: 48 };
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round tick step giving about `count` ticks over `span`. */
export function tickStep(span: number, count = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * magnitude;
}

function label(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${+(value / 1_000_000).toPrecision(3)}M`;
  if (abs >= 10_000) return `${+(value / 1_000).toPrecision(3)}k`;
  return `${+value.toPrecision(3)}`;
}

/** Renders `chart` as a standalone SVG document. */
export function lineChart(chart: Chart): string {
  const xs = chart.lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = chart.lines.flatMap((l) => l.points.map((p) => p[1])).concat((chart.marks ?? []).map((m) => m.y));
  if (xs.length === 0) throw new Error(`chart "${chart.title}" has no points`);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) === xMin ? xMin + 1 : Math.max(...xs);
  // 15% headroom above the highest point, so the legend and the mark labels stay clear of the lines.
  const yStep = tickStep(Math.max(...ys, 0) * 1.15);
  const yMax = Math.max(yStep, Math.ceil((Math.max(...ys) * 1.15) / yStep) * yStep);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (v: number) => pad.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const y = (v: number) => pad.top + plotH - (v / yMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    out.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${label(v)}</text>`,
    );
  }
  const xStep = tickStep(xMax - xMin);
  for (let v = Math.ceil(xMin / xStep) * xStep; v <= xMax + xStep / 1e6; v += xStep) {
    out.push(`<text x="${x(v).toFixed(1)}" y="${height - pad.bottom + 18}" text-anchor="middle">${label(v)}</text>`);
  }
  out.push(
    `<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${pad.top + plotH}" stroke="#333"/>`,
    `<line x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + plotH}" y2="${pad.top + plotH}" stroke="#333"/>`,
    `<text x="${pad.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${pad.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  for (const mark of chart.marks ?? []) {
    out.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(mark.y).toFixed(1)}" y2="${y(mark.y).toFixed(1)}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${width - pad.right - 4}" y="${(y(mark.y) - 4).toFixed(1)}" text-anchor="end" fill="#555">${escapeXml(mark.name)}</text>`,
    );
  }
  chart.lines.forEach((line, i) => {
    const colour = colours[i % colours.length];
    const points = line.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    if (line.points.length < 12)
      for (const [px, py] of line.points)
        out.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = pad.top + 8 + i * 16;
    out.push(
      `<rect x="${pad.left + 10}" y="${ly - 8}" width="12" height="3" fill="${colour}"/>`,
      `<text x="${pad.left + 28}" y="${ly - 3}">${escapeXml(line.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** A sorted sample of latencies as [percentile, value] points (the latency-distribution chart). */
export function percentilePoints(sorted: readonly number[]): [number, number][] {
  if (sorted.length === 1) return [[0, sorted[0] as number]];
  return sorted.map((v, i) => [(i * 100) / (sorted.length - 1), v]);
}
