/** Contact sheets: a grid of rendered samples with their class names, as one PNG. */
import sharp, { type OverlayOptions } from 'sharp';
import type { SceneDescription } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { writeFileAtomic } from '../core/fs.js';

/** Options of renderContactSheet. */
export interface ContactSheetOptions {
  columns: number;
  /** Tile side in pixels. */
  tile: number;
  /** Print a caption (class/asset, or `label(desc)`) on each tile. */
  labels: boolean;
  label?: (desc: SceneDescription) => string;
}

/** Defaults of ContactSheetOptions; `synth preview` reads them. */
export const CONTACT_SHEET_DEFAULTS: ContactSheetOptions = { columns: 8, tile: 128, labels: true };

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Render `descs` (their resolution replaced by the tile size) into a PNG contact sheet at `out`. */
export async function renderContactSheet(renderer: SceneRenderer, descs: readonly SceneDescription[], out: string, options: Partial<ContactSheetOptions> = {}): Promise<{ width: number; height: number }> {
  const o = { ...CONTACT_SHEET_DEFAULTS, ...options };
  const cols = Math.min(o.columns, descs.length);
  const rows = Math.ceil(descs.length / cols);
  const tiles: OverlayOptions[] = [];
  for (const [i, d] of descs.entries()) {
    const frame = await renderer.render({ ...d, resolution: [o.tile, o.tile] });
    const png = await sharp(Buffer.from(frame.rgba), { raw: { width: o.tile, height: o.tile, channels: 4 } }).png().toBuffer();
    const left = (i % cols) * o.tile;
    const top = Math.floor(i / cols) * o.tile;
    tiles.push({ input: png, left, top });
    if (o.labels) {
      const text = escapeXml(o.label ? o.label(d) : `${d.objects[0].class}/${d.objects[0].assetName}`);
      const h = Math.max(12, Math.round(o.tile / 10));
      const svg = `<svg width="${o.tile}" height="${h}"><rect width="100%" height="100%" fill="black" fill-opacity="0.45"/><text x="3" y="${Math.round(h * 0.78)}" font-size="${Math.round(h * 0.75)}" font-family="sans-serif" fill="white">${text}</text></svg>`;
      tiles.push({ input: Buffer.from(svg), left, top: top + o.tile - h });
    }
  }
  const width = cols * o.tile;
  const height = rows * o.tile;
  const png = await sharp({ create: { width, height, channels: 3, background: '#000000' } }).composite(tiles).png().toBuffer();
  await writeFileAtomic(out, png);
  return { width, height };
}
