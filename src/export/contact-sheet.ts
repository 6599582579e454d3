/** Contact sheets: a grid of rendered samples with their class names, as one PNG. */
import sharp, { type OverlayOptions } from 'sharp';
import type { SceneDescription } from '../spec/sample.js';
import type { Frame, SceneRenderer } from '../render/renderer.js';
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

/** One tile of a contact sheet: a frame (any size; scaled to cover the tile) and its caption. */
export interface SheetTile {
  frame: Frame;
  label: string;
}

/** Compose tiles into a PNG contact sheet at `out` (written atomically). */
export async function composeContactSheet(items: readonly SheetTile[], out: string, options: Partial<ContactSheetOptions> = {}): Promise<{ width: number; height: number }> {
  const o = { ...CONTACT_SHEET_DEFAULTS, ...options };
  const cols = Math.min(o.columns, items.length);
  const rows = Math.ceil(items.length / cols);
  const tiles: OverlayOptions[] = [];
  for (const [i, { frame, label }] of items.entries()) {
    let img = sharp(Buffer.from(frame.rgba.buffer, frame.rgba.byteOffset, frame.rgba.byteLength), { raw: { width: frame.width, height: frame.height, channels: 4 } });
    if (frame.width !== o.tile || frame.height !== o.tile) img = img.resize(o.tile, o.tile, { fit: 'cover' });
    const png = await img.png().toBuffer();
    const left = (i % cols) * o.tile;
    const top = Math.floor(i / cols) * o.tile;
    tiles.push({ input: png, left, top });
    if (o.labels) {
      const h = Math.max(12, Math.round(o.tile / 10));
      const svg = `<svg width="${o.tile}" height="${h}"><rect width="100%" height="100%" fill="black" fill-opacity="0.45"/><text x="3" y="${Math.round(h * 0.78)}" font-size="${Math.round(h * 0.75)}" font-family="sans-serif" fill="white">${escapeXml(label)}</text></svg>`;
      tiles.push({ input: Buffer.from(svg), left, top: top + o.tile - h });
    }
  }
  const width = cols * o.tile;
  const height = rows * o.tile;
  const png = await sharp({ create: { width, height, channels: 3, background: '#000000' } }).composite(tiles).png().toBuffer();
  await writeFileAtomic(out, png);
  return { width, height };
}

/** Render `descs` at the tile size (their own resolution replaced) into a PNG contact sheet at `out`. */
export async function renderContactSheet(renderer: SceneRenderer, descs: readonly SceneDescription[], out: string, options: Partial<ContactSheetOptions> = {}): Promise<{ width: number; height: number }> {
  const o = { ...CONTACT_SHEET_DEFAULTS, ...options };
  const items: SheetTile[] = [];
  for (const d of descs) {
    const frame = await renderer.render({ ...d, resolution: [o.tile, o.tile] });
    items.push({ frame, label: o.label ? o.label(d) : `${d.objects[0].class}/${d.objects[0].assetName}` });
  }
  return composeContactSheet(items, out, o);
}
