/**
 * Regenerate the contact sheets shown in the README: every class (each variant) and every environment.
 * Usage: npx tsx scripts/docs-sheets.ts   (writes docs/classes.png, docs/environments.png)
 */
import { createAssetLibrary } from '../src/assets/library.js';
import { createRenderer } from '../src/render/renderer.js';
import { parseSpec } from '../src/spec/schema.js';
import { planSampling, describeSample } from '../src/spec/sample.js';
import { renderContactSheet } from '../src/export/contact-sheet.js';

const library = createAssetLibrary();
const catalog = library.catalog();
const renderer = await createRenderer(library);

const classSpec = parseSpec({
  name: 'classes', seed: 1, mode: 'grid', resolution: [112, 112], factors: {
    asset: { values: [0, 1, 2] }, yaw: { const: 35 }, 'camera.elevation': { const: 18 }, 'camera.distance': { const: 2.9 },
    environment: { const: 'studio' }, 'light.azimuth': { const: 40 }, 'light.elevation': { const: 55 },
  },
}, catalog);
const classPlan = planSampling(classSpec, catalog);
const classDescs = Array.from({ length: classPlan.count }, (_, i) => describeSample(classPlan, i));
await renderContactSheet(renderer, classDescs, 'docs/classes.png', { columns: 15, tile: 112, label: (d) => `${d.objects[0].class}/${d.objects[0].assetName}` });

const envSpec = parseSpec({
  name: 'environments', seed: 2, mode: 'grid', resolution: [160, 160], classes: ['horse', 'car'], factors: {
    environment: { values: [...catalog.environments] }, yaw: { const: 30 }, 'camera.elevation': { const: 12 }, 'camera.distance': { const: 3.3 },
    'light.azimuth': { const: 40 }, 'light.elevation': { const: 45 }, asset: { const: 0 },
  },
}, catalog);
const envPlan = planSampling(envSpec, catalog);
const envDescs = Array.from({ length: envPlan.count }, (_, i) => describeSample(envPlan, i)).filter((d, i) => i < catalog.environments.length);
await renderContactSheet(renderer, envDescs, 'docs/environments.png', { columns: 7, tile: 160, label: (d) => d.environment });
renderer.dispose();
console.log(`docs/classes.png: ${classDescs.length} tiles; docs/environments.png: ${envDescs.length} tiles`);
process.exit(0);
