/**
 * A renderer stand-in that returns labels (which the real renderer does not produce yet), so the
 * writers can be checked against exactly known masks, boxes and depths.
 * Object k (1-based) of sample i is the rectangle objectRect(i, k); rectangles never overlap.
 */
import type { Frame, SceneRenderer } from '../../src/render/renderer.js';
import type { LabelSet } from '../../src/labels/types.js';
import type { SceneDescription } from '../../src/spec/sample.js';

/** Which maps the fake produces; a LabelSet always has objects and camera. */
export interface FakeLabels {
  segmentation?: boolean;
  depth?: boolean;
  normals?: boolean;
  /** No LabelSet at all (like the renderer today). */
  none?: boolean;
}

/** Rectangle [x, y, w, h] of object k (1-based, k <= 2) of sample `index`, inside 48x48. */
export function objectRect(index: number, k: number): [number, number, number, number] {
  return [2 + ((index * 5 + k * 13) % 10) + (k - 1) * 22, 3 + ((index * 7 + k) % 12), 8 + (index % 5), 6 + 2 * k];
}

/** Depth of object k of sample `index` in scene units. */
export function objectDepth(index: number, k: number): number {
  return 2 + k + index / 100;
}

export function fakeRenderer(opts: FakeLabels = { segmentation: true, depth: true, normals: true }): SceneRenderer & { calls: number } {
  const r = {
    backend: 'opengles' as const,
    adapter: { vendor: 'fake', architecture: '', device: 'fake', description: 'fake renderer' },
    threeRevision: '0',
    calls: 0,
    async render(desc: SceneDescription): Promise<Frame & { labels?: LabelSet }> {
      r.calls++;
      const [w, h] = desc.resolution;
      const rgba = new Uint8Array(w * h * 4);
      for (let p = 0; p < w * h; p++) rgba.set([(desc.index * 37) % 256, 90, 140, 255], p * 4);
      if (opts.none) return { width: w, height: h, rgba };
      const instance = new Uint8Array(w * h);
      const semantic = new Uint8Array(w * h);
      const depth = new Float32Array(w * h).fill(Infinity);
      const normals = new Uint8Array(w * h * 3);
      const objects: LabelSet['objects'] = desc.objects.map((o, i) => {
        const k = i + 1;
        const [x0, y0, bw, bh] = objectRect(desc.index, k);
        for (let y = y0; y < y0 + bh; y++) {
          for (let x = x0; x < x0 + bw; x++) {
            const p = y * w + x;
            instance[p] = k;
            semantic[p] = o.classIndex + 1;
            depth[p] = objectDepth(desc.index, k);
            normals.set([128, 128, 255], p * 3);
            rgba.set([200, 40 * k, 30, 255], p * 4);
          }
        }
        return {
          instance: k, class: o.class, label: o.classIndex, bbox: [x0, y0, bw, bh], area: bw * bh, visibility: 1,
          objectToWorld: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, o.position[0], o.position[1], o.position[2], 1],
        };
      });
      const labels: LabelSet = {
        width: w, height: h, objects,
        camera: { width: w, height: h, fx: 50, fy: 50, cx: w / 2, cy: h / 2, worldToCamera: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, -5, 1], cameraToWorld: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 5, 1], near: 0.1, far: 100 },
        ...(opts.segmentation ? { instanceMask: instance, semanticMask: semantic } : {}),
        ...(opts.depth ? { depth } : {}),
        ...(opts.normals ? { normals } : {}),
      };
      return { width: w, height: h, rgba, labels };
    },
    dispose() {},
  };
  return r;
}
