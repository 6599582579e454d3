// Dev helper: a contact sheet with one tile per environment (the same red sphere and blue cube in each),
// plus one tile for a synthetic user background image (image:demo-backdrop).
// Usage: npx tsx scripts/dev/env-sheet.ts out.png [tile=160] [columns=6] [env,env,...]
import { createAssetLibrary } from '../../src/assets/library.js';
import { ENVIRONMENT_NAMES, registerBackgroundImage } from '../../src/assets/environments.js';
import { createRenderer } from '../../src/render/renderer.js';
import { renderContactSheet } from '../../src/export/contact-sheet.js';
import type { SceneDescription, ObjectDescription } from '../../src/spec/sample.js';

const [out = '.tmp/envs.png', tileArg, colsArg, only] = process.argv.slice(2);
const tile = Number(tileArg ?? 160);
const columns = Number(colsArg ?? 6);

/** A synthetic "photo": sky gradient, a sun, green hills and a road, 320x200. */
function demoBackdrop(): Uint8Array {
  const w = 320;
  const h = 200;
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = y / h;
      const hill = 0.55 + 0.06 * Math.sin(x / 23) + 0.03 * Math.sin(x / 7);
      let c: number[];
      if (v < hill) c = [90 + 120 * v, 140 + 100 * v, 230 - 20 * v];
      else c = Math.abs(x - w / 2) < (v - hill) * 260 ? [70, 70, 74] : [60 + 40 * v, 120 + 30 * v, 50];
      if ((x - 250) ** 2 + (y - 40) ** 2 < 180) c = [255, 240, 200];
      px.set([c[0], c[1], c[2], 255], (y * w + x) * 4);
    }
  }
  return px;
}

registerBackgroundImage('demo-backdrop', demoBackdrop(), 320, 200);
const envs = only ? only.split(',') : [...ENVIRONMENT_NAMES, 'image:demo-backdrop'];

function object(cls: string, color: string, x: number, z: number, yaw: number): ObjectDescription {
  return {
    class: cls, classIndex: 0, asset: cls === 'sphere' ? 1 : 0, assetName: cls === 'sphere' ? 'metal' : 'rubber',
    params: { stretch: 1, squash: 1, aspect: 1, tube: 0.15 }, position: [x, 0, z], yaw, pitch: 0, roll: 0, scale: 0.9,
    texture: 'plain', color, roughness: cls === 'sphere' ? 0.25 : 0.7, metalness: cls === 'sphere' ? 0.6 : 0,
  };
}

const descs: SceneDescription[] = envs.map((environment, index) => ({
  id: environment, index, seed: 0, resolution: [tile, tile], environment,
  light: { intensity: 1, azimuth: 50, elevation: 38, temperature: 6500 },
  camera: { distance: 3.8, elevation: 9, azimuth: 15, fov: 50, target: [0, 0.8, 0] },
  objects: [object('sphere', '#d8d8d8', -0.65, 0.1, 0), object('cube', 'red', 0.7, -0.2, 30)],
  factors: {},
}));

const renderer = await createRenderer(createAssetLibrary());
const t0 = performance.now();
const { width, height } = await renderContactSheet(renderer, descs, out, { columns, tile, labels: true, label: (d) => d.environment });
console.log(`wrote ${out}: ${descs.length} environments, ${width}x${height}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
renderer.dispose();
process.exit(0);
