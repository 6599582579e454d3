/**
 * Label passes: one extra render of the same scene with flat "label" materials into a float target.
 * Each pixel gets (instance id, class index + 1, view depth, packed camera-space normal); masks,
 * depth, normals, boxes and visibility are decoded from it on the CPU. Unlit, unshadowed, one pass.
 * When only instance ids are needed (boxes, visibility, and the minimum-visible-pixels check of
 * multi-object scenes), the pass writes them alone into an 8-bit target: a quarter of the bytes to
 * read back and decode.
 */
import * as THREE from 'three/webgpu';
import { vec4, float, uniform, positionView, normalView } from 'three/tsl';
import { batchLayers, type LayerBatches } from './layer-batches.js';
import type { LabelSet, ObjectLabel, CameraLabel } from '../labels/types.js';
import type { LabelPass } from '../spec/schema.js';

/** A label material's identity: what it writes to the id channels. */
interface LabelMaterial {
  material: THREE.MeshBasicNodeMaterial;
  instance: { value: number };
  semantic: { value: number };
}

/** Make a material writing (instance, semantic, depth, packed normal); `sky` writes depth 0 (= infinitely far). */
function labelMaterial(sky = false): LabelMaterial {
  const instance = uniform(0);
  const semantic = uniform(0);
  const m = new THREE.MeshBasicNodeMaterial();
  const q = normalView.mul(0.5).add(0.5).mul(255).add(0.5).floor();
  const packed = q.x.mul(65536).add(q.y.mul(256)).add(q.z);
  m.fragmentNode = vec4(instance, semantic, sky ? float(0) : positionView.z.negate(), sky ? float(0) : packed);
  m.side = THREE.DoubleSide;
  m.fog = false;
  return { material: m, instance: instance as unknown as { value: number }, semantic: semantic as unknown as { value: number } };
}

/**
 * An 8-bit material writing instance id `instance` (0 for the background) to the red channel, for
 * the ids-only pass.
 */
function idMaterial(): LabelMaterial {
  const instance = uniform(0);
  const m = new THREE.MeshBasicNodeMaterial();
  m.fragmentNode = vec4(instance.div(255), 0, 0, 1);
  m.side = THREE.DoubleSide;
  m.fog = false;
  return { material: m, instance: instance as unknown as { value: number }, semantic: { value: 0 } };
}

/** Most objects the ids-only pass can tell apart (ids 1..255 in an 8-bit channel). */
export const MAX_ID_OBJECTS = 255;

/** Whether `passes` needs more from the label render than instance ids (class ids, depth, normals). */
function needsFullLabelRender(passes: readonly LabelPass[]): boolean {
  return passes.some((p) => p === 'segmentation' || p === 'depth' || p === 'normals');
}

/** Whether `passes` needs the float label render at all. */
export function needsLabelRender(passes: readonly LabelPass[]): boolean {
  return needsFullLabelRender(passes) || passes.some((p) => p === 'boxes' || p === 'visibility');
}

/** Pinhole intrinsics and extrinsics of a perspective camera rendering width x height. */
export function cameraLabel(camera: THREE.PerspectiveCamera, width: number, height: number): CameraLabel {
  const fy = (height / 2) / Math.tan((camera.fov * Math.PI) / 360);
  return {
    width, height, fx: fy, fy, cx: width / 2, cy: height / 2,
    worldToCamera: camera.matrixWorldInverse.toArray(), cameraToWorld: camera.matrixWorld.toArray(),
    near: camera.near, far: camera.far,
  };
}

/** Tight box [x, y, w, h] of pixels equal to `id` in a mask, and their count (pure). */
export function boxesFromMask(mask: Uint8Array, width: number, height: number, ids: number): { bbox: ([number, number, number, number] | null)[]; area: number[] } {
  const minX = new Array(ids + 1).fill(Infinity);
  const minY = new Array(ids + 1).fill(Infinity);
  const maxX = new Array(ids + 1).fill(-1);
  const maxY = new Array(ids + 1).fill(-1);
  const area = new Array(ids + 1).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const id = mask[y * width + x];
      if (id === 0 || id > ids) continue;
      area[id]++;
      if (x < minX[id]) minX[id] = x;
      if (x > maxX[id]) maxX[id] = x;
      if (y < minY[id]) minY[id] = y;
      if (y > maxY[id]) maxY[id] = y;
    }
  }
  const bbox = area.map((a, id) => (a > 0 ? [minX[id], minY[id], maxX[id] - minX[id] + 1, maxY[id] - minY[id] + 1] as [number, number, number, number] : null));
  return { bbox: bbox.slice(1), area: area.slice(1) };
}

/** An object as placed for one frame: its class, label and object-to-world matrix (column-major). */
export interface PlacedObject { class: string; label: number; objectToWorld: number[] }

/** Object labels from an instance mask's boxes (instance k + 1 is objects[k]): box, area, visibility (1 when visible unless given). */
function objectLabels({ bbox, area }: ReturnType<typeof boxesFromMask>, objects: readonly PlacedObject[], visibility?: number[]): ObjectLabel[] {
  return objects.map((o, k) => ({
    instance: k + 1, class: o.class, label: o.label, bbox: bbox[k], area: area[k],
    visibility: visibility ? visibility[k] : area[k] > 0 ? 1 : 0, objectToWorld: o.objectToWorld,
  } satisfies ObjectLabel));
}

/** `objects` as they stand now (what their labels keep once the stage moves on). */
export function placed(objects: readonly { root: THREE.Object3D; class: string; label: number }[]): PlacedObject[] {
  return objects.map((o) => ({ class: o.class, label: o.label, objectToWorld: o.root.matrixWorld.toArray() }));
}

/**
 * Labels with each object's box and visible area from an RGBA8 image of instance ids (k + 1 in the
 * red channel for objects[k], 0 elsewhere), as the renderer's colour pass writes them beside the
 * image (FrameOptions.instanceAreas). Pure: the camera and objects as they were when the frame was drawn.
 */
export function instanceAreaLabels(ids: Uint8Array, camera: CameraLabel, objects: readonly PlacedObject[]): LabelSet {
  const { width: w, height: h } = camera;
  const n = w * h;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = ids[i * 4];
  return { width: w, height: h, camera, objects: objectLabels(boxesFromMask(mask, w, h, objects.length), objects) };
}

/** The label pass state kept by a renderer: materials, target, and a solo scene for visibility. */
export class LabelRenderer {
  private floatTarget: THREE.RenderTarget | null = null;
  private idTarget: THREE.RenderTarget | null = null;
  private readonly objectMaterials: LabelMaterial[] = [];
  private readonly background = labelMaterial();
  private readonly sky = labelMaterial(true);
  private readonly idMaterials: LabelMaterial[] = [];
  private readonly idBackground = idMaterial();
  private readonly solo = new THREE.Scene();

  /**
   * Passes are drawn into the layers of array targets and read back in `batches` with the renderer's
   * frames: up to `batch` layers deep (batchLayers: fewer for large float frames).
   */
  constructor(private readonly renderer: THREE.WebGPURenderer, private readonly batches: LayerBatches, private readonly batch: number) {}

  private materialFor(slot: number, ids: boolean): LabelMaterial {
    const list = ids ? this.idMaterials : this.objectMaterials;
    while (list.length <= slot) list.push(ids ? idMaterial() : labelMaterial());
    return list[slot];
  }

  private ensureTarget(w: number, h: number, ids: boolean): THREE.RenderTarget {
    let target = ids ? this.idTarget : this.floatTarget;
    if (!target || target.width !== w || target.height !== h) {
      if (target) {
        this.batches.flush(target);
        target.dispose();
      }
      const depth = batchLayers(w, h, this.batch, ids ? 4 : 16);
      target = new THREE.RenderTarget(w, h, { type: ids ? THREE.UnsignedByteType : THREE.FloatType, format: THREE.RGBAFormat, depth, depthBuffer: true, colorSpace: THREE.NoColorSpace });
      if (ids) this.idTarget = target;
      else this.floatTarget = target;
    }
    return target;
  }

  /**
   * Render `scene` with the label materials it holds, floats (ids: false) or 8-bit instance ids, into
   * the next layer of the target's batch: the pixels come back with the rest of the batch.
   */
  private draw(scene: THREE.Scene, camera: THREE.Camera, w: number, h: number, ids: boolean): Promise<Float32Array | Uint8Array> {
    const target = this.ensureTarget(w, h, ids);
    const r = this.renderer;
    const prevOutput = r.getOutputRenderTarget();
    const prevClear = r.getClearColor(new THREE.Color());
    const prevAlpha = r.getClearAlpha();
    const bg = scene.background;
    scene.background = null;
    r.setOutputRenderTarget(null);
    r.setRenderTarget(target, this.batches.layer(target));
    r.setClearColor(0x000000, 0);
    try {
      r.render(scene, camera);
      const pixels = this.batches.add(target);
      this.batches.flushFull(target);
      return pixels.then(([px]) => px);
    } finally {
      r.setRenderTarget(null);
      r.setOutputRenderTarget(prevOutput);
      r.setClearColor(prevClear, prevAlpha);
      scene.background = bg;
    }
  }

  /**
   * Render the label passes of the current stage. `objects[k]` is the root of object k (instance k + 1)
   * with its class index; `isSky` tells backdrop meshes at infinity. Every pass is drawn and its
   * readback queued before this returns, so the stage may move on to the next sample at once; the
   * promise resolves when the pixels are back and decoded.
   */
  render(opts: {
    scene: THREE.Scene; camera: THREE.PerspectiveCamera; width: number; height: number; passes: readonly LabelPass[];
    objects: { root: THREE.Object3D; class: string; label: number }[]; isSky: (mesh: THREE.Mesh) => boolean;
  }): Promise<LabelSet> {
    const { scene, camera, width: w, height: h, passes, objects } = opts;
    const camLabel = cameraLabel(camera, w, h);
    const labels: LabelSet = { width: w, height: h, objects: [], camera: camLabel };
    const where = placed(objects);
    if (!needsLabelRender(passes)) {
      labels.objects = where.map((o, k) => ({ instance: k + 1, ...o, bbox: null, area: 0, visibility: 0 }));
      return Promise.resolve(labels);
    }
    // Instance ids alone fit an 8-bit target (up to 255 objects).
    const ids = !needsFullLabelRender(passes) && objects.length <= MAX_ID_OBJECTS;
    // Swap every mesh's material for its label material, render, swap back.
    const swapped: [THREE.Mesh, THREE.Material | THREE.Material[]][] = [];
    const owner = new Map<THREE.Object3D, number>();
    objects.forEach((o, k) => o.root.traverse((c) => owner.set(c, k)));
    scene.traverse((c) => {
      const mesh = c as THREE.Mesh;
      if (!mesh.isMesh) return;
      const k = owner.get(mesh);
      let lm: LabelMaterial;
      if (k !== undefined) {
        lm = this.materialFor(k, ids);
        lm.instance.value = k + 1;
        lm.semantic.value = objects[k].label + 1;
      } else if (ids) lm = this.idBackground;
      else lm = opts.isSky(mesh) ? this.sky : this.background;
      swapped.push([mesh, mesh.material]);
      mesh.material = lm.material;
    });
    let pending: Promise<Float32Array | Uint8Array>;
    try {
      pending = this.draw(scene, camera, w, h, ids);
    } finally {
      for (const [mesh, m] of swapped) mesh.material = m;
    }
    const alone = passes.includes('visibility') && objects.length > 1 ? this.drawAlone(objects, camera, w, h) : null;
    alone?.catch(() => undefined); // awaited by decode, unless the main pass failed first
    return this.decode(pending, alone, labels, where, passes, ids);
  }

  /** The label set from the passes' pixels, once they are back. */
  private async decode(
    pending: Promise<Float32Array | Uint8Array>, alone: Promise<number[]> | null, labels: LabelSet, where: PlacedObject[], passes: readonly LabelPass[], ids: boolean,
  ): Promise<LabelSet> {
    const { width: w, height: h } = labels;
    const px = await pending;
    const n = w * h;
    const instanceMask = new Uint8Array(n);
    if (ids) {
      for (let i = 0; i < n; i++) instanceMask[i] = px[i * 4];
    } else {
      const semanticMask = new Uint8Array(n);
      const depth = new Float32Array(n);
      const normals = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) {
        instanceMask[i] = Math.round(px[i * 4]);
        semanticMask[i] = Math.round(px[i * 4 + 1]);
        const d = px[i * 4 + 2];
        depth[i] = d > 0 ? d : Infinity;
        const p = Math.round(px[i * 4 + 3]);
        normals[i * 3] = (p >> 16) & 255;
        normals[i * 3 + 1] = (p >> 8) & 255;
        normals[i * 3 + 2] = p & 255;
      }
      if (passes.includes('segmentation')) {
        labels.instanceMask = instanceMask;
        labels.semanticMask = semanticMask;
      }
      if (passes.includes('depth')) labels.depth = depth;
      if (passes.includes('normals')) labels.normals = normals;
    }
    const boxes = boxesFromMask(instanceMask, w, h, where.length);
    const visibility = alone ? (await alone).map((a, k) => (a > 0 ? Math.min(1, boxes.area[k] / a) : 0)) : undefined;
    labels.objects = objectLabels(boxes, where, visibility);
    return labels;
  }

  /**
   * Each object's pixels when drawn alone (visibility is its visible pixels over these; only for scenes
   * of several objects): every solo pass drawn now, counted when the pixels are back.
   */
  private drawAlone(objects: { root: THREE.Object3D }[], camera: THREE.Camera, w: number, h: number): Promise<number[]> {
    const counts: Promise<number>[] = [];
    const ids = objects.length <= MAX_ID_OBJECTS;
    for (const [k, o] of objects.entries()) {
      const parent = o.root.parent;
      const swapped: [THREE.Mesh, THREE.Material | THREE.Material[]][] = [];
      const lm = this.materialFor(k, ids);
      lm.instance.value = k + 1;
      o.root.traverse((c) => {
        const mesh = c as THREE.Mesh;
        if (mesh.isMesh) { swapped.push([mesh, mesh.material]); mesh.material = lm.material; }
      });
      this.solo.add(o.root);
      try {
        counts.push(this.draw(this.solo, camera, w, h, ids).then((px) => {
          let alone = 0;
          for (let i = 0; i < w * h; i++) if (Math.round(px[i * 4]) === k + 1) alone++;
          return alone;
        }));
      } finally {
        parent?.add(o.root);
        for (const [mesh, m] of swapped) mesh.material = m;
      }
    }
    return Promise.all(counts);
  }

  dispose(): void {
    this.floatTarget?.dispose();
    this.idTarget?.dispose();
    for (const m of [...this.objectMaterials, this.background, this.sky, ...this.idMaterials, this.idBackground]) m.material.dispose();
  }
}
