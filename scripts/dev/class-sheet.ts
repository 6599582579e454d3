// Dev helper: render a contact sheet of given classes (each row one class, columns variants x seeds).
// Usage: npx tsx scripts/dev/class-sheet.ts out.png cube,sphere [columns=6] [environment=studio]
import sharp from 'sharp';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer } from '../../src/render/renderer.js';
import { parseSpec } from '../../src/spec/schema.js';
import { planSampling, describeSample } from '../../src/spec/sample.js';
const [out, classList, colsArg, envArg] = process.argv.slice(2);
const lib = createAssetLibrary();
const classes = classList ? classList.split(',') : lib.classes.map((c) => c.name);
const cols = Number(colsArg ?? 6);
const size = 160;
const r = await createRenderer(lib, { backend: 'opengles' });
const tiles: { input: Buffer; left: number; top: number }[] = [];
for (const [row, cls] of classes.entries()) {
  const spec = parseSpec({ classes: [cls], count: cols, resolution: [size, size], factors: { environment: { const: envArg ?? 'studio' }, yaw: { uniform: [20, 70] }, 'camera.elevation': { const: 20 } } }, lib.catalog());
  const plan = planSampling(spec, lib.catalog());
  for (let i = 0; i < cols; i++) {
    const d = describeSample(plan, i);
    const info = lib.classes.find((c) => c.name === cls)!;
    d.objects[0].asset = i % info.variants.length;
    d.objects[0].assetName = info.variants[d.objects[0].asset];
    const f = await r.render(d);
    const png = await sharp(Buffer.from(f.rgba), { raw: { width: size, height: size, channels: 4 } }).png().toBuffer();
    const label = Buffer.from(`<svg width="${size}" height="18"><text x="3" y="13" font-size="12" font-family="sans-serif" fill="black">${cls}/${d.objects[0].assetName}</text></svg>`);
    tiles.push({ input: png, left: i * size, top: row * size }, { input: label, left: i * size, top: row * size });
  }
}
await sharp({ create: { width: size * cols, height: size * classes.length, channels: 3, background: '#000' } }).composite(tiles).png().toFile(out);
r.dispose();
process.exit(0);
