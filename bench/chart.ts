/**
 * The chart committed with docs/benchmarks.md: one horizontal bar per HTTP case, its req/s as a ratio of
 * bare node:http's, hand-written SVG (no chart library), readable on a light or dark page (it draws its
 * own white background).
 *
 * Rows: bare first, then httpsession and the peers sorted fastest first, then the frameworks alone (for
 * reading the Express and Fastify rows against). The issue's two ratio targets are marked on their rows.
 *
 * @module
 */
import type { CaseGroup } from './cases.ts';
import type { HttpCaseResult } from './http.ts';

/** What the chart needs besides the results. */
export interface ChartContext {
  /** One line under the title: machine, Node, date. */
  readonly subtitle: string;
  /** Shown in red under the subtitle when set (e.g. a smoke run). */
  readonly warning?: string | undefined;
}

const COLORS: Record<CaseGroup, string> = {
  limit: '#4b5563',
  httpsession: '#2563eb',
  peer: '#f59e0b',
  framework: '#cbd5e1',
};
const LEGEND: Array<[CaseGroup, string]> = [
  ['limit', 'bare node:http'],
  ['httpsession', 'httpsession'],
  ['peer', 'peers'],
  ['framework', 'framework alone'],
];
/** Targets of issue 5 drawn on their rows. */
const TARGETS: Record<string, number> = { 'httpsession-cookie': 0.3, 'httpsession-readonly': 0.6 };

const WIDTH = 900;
const LABEL_RIGHT = 262;
const BAR_LEFT = 272;
const BAR_WIDTH = 440;
const ROW = 28;
const BAR = 18;

/**
 * Renders the chart.
 * @param http - the HTTP results (bare must be among them for any bar to be drawn)
 * @param context - subtitle and warning
 * @returns SVG text
 */
export function renderChart(http: readonly HttpCaseResult[], context: ChartContext): string {
  const bare = http.find((r) => r.case.id === 'bare')?.median?.reqPerSec;
  const ratio = (r: HttpCaseResult): number | undefined => (bare === undefined || r.median === undefined ? undefined : r.median.reqPerSec / bare);
  const byRatio = (a: HttpCaseResult, b: HttpCaseResult): number => (ratio(b) ?? -1) - (ratio(a) ?? -1);
  const rows = [
    ...http.filter((r) => r.case.group === 'limit'),
    ...http.filter((r) => r.case.group === 'httpsession' || r.case.group === 'peer').sort(byRatio),
    ...http.filter((r) => r.case.group === 'framework'),
  ];
  const maxRatio = Math.max(1, ...rows.map((r) => ratio(r) ?? 0));
  const scaleMax = Math.ceil(maxRatio * 4) / 4;
  const x = (v: number): number => BAR_LEFT + (v / scaleMax) * BAR_WIDTH;

  const top = context.warning === undefined ? 92 : 110;
  const dividerAt = rows.findIndex((r) => r.case.group === 'framework');
  const gap = dividerAt > 0 ? 14 : 0;
  const rowY = (i: number): number => top + i * ROW + (dividerAt > 0 && i >= dividerAt ? gap : 0);
  const chartBottom = rowY(rows.length - 1) + ROW;
  const height = chartBottom + 52;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" font-size="13">`,
    `<title>Requests per second relative to bare node:http</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="30" font-size="17" font-weight="600" fill="#111827">Requests per second, relative to bare node:http (higher is better)</text>`,
    `<text x="20" y="50" font-size="12" fill="#4b5563">${escapeXml(context.subtitle)}</text>`,
  );
  if (context.warning !== undefined) out.push(`<text x="20" y="68" font-size="12" font-weight="600" fill="#b91c1c">${escapeXml(context.warning)}</text>`);

  // Legend.
  let lx = 20;
  const ly = top - 22;
  for (const [group, text] of LEGEND) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" rx="2" fill="${COLORS[group]}"/>`);
    out.push(`<text x="${lx + 17}" y="${ly}" fill="#374151">${text}</text>`);
    lx += 34 + text.length * 7;
  }
  out.push(`<line x1="${lx}" y1="${ly - 11}" x2="${lx}" y2="${ly + 2}" stroke="#111827" stroke-width="2" stroke-dasharray="3 2"/>`);
  out.push(`<text x="${lx + 7}" y="${ly}" fill="#374151">target (issue 5)</text>`);

  // Grid and axis.
  for (let v = 0; v <= scaleMax + 1e-9; v += 0.25) {
    const gx = x(v).toFixed(1);
    const major = Math.abs(v - Math.round(v)) < 1e-9;
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${chartBottom}" stroke="${major ? '#9ca3af' : '#e5e7eb'}" stroke-width="1"/>`);
    out.push(`<text x="${gx}" y="${chartBottom + 16}" text-anchor="middle" font-size="11" fill="#6b7280">${v === 0 ? '0' : `${trim(v)}×`}</text>`);
  }
  out.push(`<text x="${BAR_LEFT + BAR_WIDTH / 2}" y="${chartBottom + 34}" text-anchor="middle" font-size="12" fill="#4b5563">req/s ÷ bare node:http req/s (median of the rounds)</text>`);
  if (dividerAt > 0) {
    const dy = rowY(dividerAt) - gap / 2 - 1;
    out.push(`<line x1="20" y1="${dy}" x2="${WIDTH - 20}" y2="${dy}" stroke="#d1d5db" stroke-dasharray="4 3"/>`);
  }

  rows.forEach((r, i) => {
    const y = rowY(i);
    const cy = y + ROW / 2;
    const weight = r.case.group === 'httpsession' ? ' font-weight="600"' : '';
    out.push(`<text x="${LABEL_RIGHT}" y="${cy + 4.5}" text-anchor="end" fill="#111827"${weight}>${escapeXml(r.case.label)}</text>`);
    const v = ratio(r);
    if (v === undefined || r.median === undefined) {
      const why = r.skipped === undefined ? 'not run' : `not run: ${r.skipped}`;
      out.push(`<text x="${BAR_LEFT + 6}" y="${cy + 4.5}" font-style="italic" fill="#6b7280">${escapeXml(shorten(why, 70))}</text>`);
      return;
    }
    const w = Math.max(1, x(v) - BAR_LEFT);
    out.push(`<rect x="${BAR_LEFT}" y="${cy - BAR / 2}" width="${w.toFixed(1)}" height="${BAR}" rx="2" fill="${COLORS[r.case.group]}"><title>${escapeXml(`${r.case.label}: ${Math.round(r.median.reqPerSec)} req/s, ${v.toFixed(3)} of bare`)}</title></rect>`);
    const target = TARGETS[r.case.id];
    let textX = BAR_LEFT + w + 6;
    if (target !== undefined) {
      const tx = x(target);
      out.push(`<line x1="${tx.toFixed(1)}" y1="${cy - BAR / 2 - 3}" x2="${tx.toFixed(1)}" y2="${cy + BAR / 2 + 3}" stroke="#111827" stroke-width="2" stroke-dasharray="3 2"><title>target ${target} of bare</title></line>`);
      textX = Math.max(textX, tx + 6); // never write the value across the marker
    }
    const value = `${v.toFixed(2)}×  ·  ${kilo(r.median.reqPerSec)} req/s`;
    out.push(`<text x="${textX.toFixed(1)}" y="${cy + 4.5}" fill="#111827">${value}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function kilo(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v));
}

function trim(v: number): string {
  return String(Number(v.toFixed(2)));
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
