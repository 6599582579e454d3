/**
 * The evaluation's plots as SVG (pure string builders) and their PNG form (sharp rasterises the SVG):
 * accuracy against one factor with 95% intervals, and a factor pair's accuracy heat map.
 */
import sharp from 'sharp';
import type { FactorValue } from '../spec/schema.js';
import type { GroupStats } from './metrics.js';

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function label(v: FactorValue): string {
  return typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : v;
}

/** Red (0) through yellow to green (1), as `rgb(...)`. */
export function accuracyColor(accuracy: number): string {
  const a = Math.min(1, Math.max(0, accuracy));
  const r = a < 0.5 ? 215 : Math.round(215 - (a - 0.5) * 2 * 189);
  const g = a < 0.5 ? Math.round(48 + a * 2 * 142) : Math.round(190 - (a - 0.5) * 2 * 40);
  const b = a < 0.5 ? 39 : Math.round(39 + (a - 0.5) * 2 * 50);
  return `rgb(${r},${g},${b})`;
}

const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

/**
 * SVG of accuracy against one factor's levels (evenly spaced): a point per level with its 95%
 * Wilson interval and sample count, the overall accuracy as a dashed line.
 */
export function accuracyPlotSvg(factor: string, cells: readonly (GroupStats & { value: FactorValue })[], overall: number, title: string): string {
  const W = 640, H = 360, left = 60, right = 20, top = 40, bottom = 70;
  const pw = W - left - right, ph = H - top - bottom;
  const n = cells.length;
  const x = (i: number) => left + (n === 1 ? pw / 2 : (pw * (i + 0.5)) / n);
  const y = (a: number) => top + ph * (1 - a);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" ${FONT}>${esc(title)}</text>`,
  ];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11" ${FONT}>${t.toFixed(2)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + ph}" stroke="#444"/>`,
    `<line x1="${left}" x2="${W - right}" y1="${top + ph}" y2="${top + ph}" stroke="#444"/>`,
    `<line x1="${left}" x2="${W - right}" y1="${y(overall)}" y2="${y(overall)}" stroke="#888" stroke-dasharray="5,4"/>`,
    `<text x="${W - right}" y="${y(overall) - 4}" text-anchor="end" font-size="10" fill="#666" ${FONT}>overall ${overall.toFixed(3)}</text>`,
    `<text x="${left + pw / 2}" y="${H - 12}" text-anchor="middle" font-size="13" ${FONT}>${esc(factor)}</text>`,
    `<text x="16" y="${top + ph / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${top + ph / 2})" ${FONT}>accuracy (95% CI)</text>`);
  const path = cells.map((c, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(c.accuracy).toFixed(1)}`).join(' ');
  if (n > 1) parts.push(`<path d="${path}" fill="none" stroke="#2b6cb0" stroke-width="2"/>`);
  const every = Math.max(1, Math.ceil(n / 16));
  cells.forEach((c, i) => {
    parts.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${y(c.ci[0])}" y2="${y(c.ci[1])}" stroke="#2b6cb0" stroke-width="1.5"/>`,
      `<line x1="${x(i) - 4}" x2="${x(i) + 4}" y1="${y(c.ci[0])}" y2="${y(c.ci[0])}" stroke="#2b6cb0"/>`,
      `<line x1="${x(i) - 4}" x2="${x(i) + 4}" y1="${y(c.ci[1])}" y2="${y(c.ci[1])}" stroke="#2b6cb0"/>`,
      `<circle cx="${x(i)}" cy="${y(c.accuracy)}" r="4" fill="${accuracyColor(c.accuracy)}" stroke="#1a365d"/>`);
    if (i % every === 0) {
      parts.push(`<text x="${x(i)}" y="${top + ph + 16}" text-anchor="middle" font-size="11" ${FONT}>${esc(label(c.value))}</text>`,
        `<text x="${x(i)}" y="${top + ph + 30}" text-anchor="middle" font-size="9" fill="#777" ${FONT}>n=${c.n}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** SVG of a factor pair's accuracy heat map (a's levels down, b's across), each cell with its accuracy and count. */
export function heatMapSvg(a: string, b: string, aLevels: readonly FactorValue[], bLevels: readonly FactorValue[], cells: readonly (GroupStats & { a: FactorValue; b: FactorValue })[], title: string): string {
  const cw = Math.max(44, Math.min(90, Math.floor(560 / Math.max(1, bLevels.length))));
  const ch = Math.max(26, Math.min(48, Math.floor(420 / Math.max(1, aLevels.length))));
  const left = 110, top = 50;
  const W = Math.max(left + cw * bLevels.length + 20, 40 + title.length * 8), H = top + ch * aLevels.length + 50;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" ${FONT}>${esc(title)}</text>`,
    `<text x="${left + (cw * bLevels.length) / 2}" y="${H - 10}" text-anchor="middle" font-size="12" ${FONT}>${esc(b)}</text>`,
    `<text x="14" y="${top + (ch * aLevels.length) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${top + (ch * aLevels.length) / 2})" ${FONT}>${esc(a)}</text>`,
  ];
  const key = (va: FactorValue, vb: FactorValue) => `${typeof va}:${va}|${typeof vb}:${vb}`;
  const byKey = new Map(cells.map((c) => [key(c.a, c.b), c]));
  aLevels.forEach((va, i) => {
    parts.push(`<text x="${left - 6}" y="${top + ch * i + ch / 2 + 4}" text-anchor="end" font-size="10" ${FONT}>${esc(label(va))}</text>`);
    bLevels.forEach((vb, j) => {
      const c = byKey.get(key(va, vb));
      const x = left + cw * j, y = top + ch * i;
      parts.push(`<rect x="${x}" y="${y}" width="${cw - 1}" height="${ch - 1}" fill="${c ? accuracyColor(c.accuracy) : '#eee'}"/>`);
      if (c) {
        parts.push(`<text x="${x + cw / 2}" y="${y + ch / 2}" text-anchor="middle" font-size="11" ${FONT}>${c.accuracy.toFixed(2)}</text>`,
          `<text x="${x + cw / 2}" y="${y + ch / 2 + 11}" text-anchor="middle" font-size="8" fill="#333" ${FONT}>n=${c.n}</text>`);
      }
    });
  });
  bLevels.forEach((vb, j) => parts.push(`<text x="${left + cw * j + cw / 2}" y="${top - 6}" text-anchor="middle" font-size="10" ${FONT}>${esc(label(vb))}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}

/** Rasterise an SVG to PNG bytes (sharp's librsvg; text needs a sans-serif font on the machine). */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 }).png({ compressionLevel: 9 }).toBuffer();
}
