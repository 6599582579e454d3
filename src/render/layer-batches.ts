/**
 * Frames read back in batches: a renderer draws each frame into the next layer of an array render
 * target (a RenderTarget `depth` layers deep) and the drawn layers come back together, one copy and one
 * mapping per texture (Readback.readLayers), once every layer is used or when the renderer flushes.
 * The image targets of renderer.ts and the label targets of labels.ts share one LayerBatches, so a
 * renderer's flush sends every batch it has open.
 */
import type * as THREE from 'three/webgpu';
import type { Readback } from './readback.js';

/** Most bytes of one batch target's colour layers: large frames are batched fewer at a time. */
export const BATCH_BYTES = 16 * 2 ** 20;

/**
 * Layers of a batch target for `width` x `height` frames of `texelBytes` bytes a texel (4: RGBA8; 16:
 * float RGBA): `batch`, or as many as fit in BATCH_BYTES (at least one). RGBA8 224²: 8 of 8; 1024²: 4;
 * 2048²: 1. Float RGBA 224²: 8 of 8; 512²: 4.
 */
export function batchLayers(width: number, height: number, batch: number, texelBytes = 4): number {
  return Math.max(1, Math.min(batch, Math.floor(BATCH_BYTES / (width * height * texelBytes))));
}

/** A frame's pixels: one array per texture of its target (more than one with MRT), rows top-down. */
export type LayerPixels = (Uint8Array | Float32Array)[];

/** The frames drawn into a target's layers and not yet read back, in layer order. */
type Waiting = { resolve(pixels: LayerPixels): void; reject(err: Error): void }[];

/** Open batches, one per target. Not thread-safe: one renderer's draws, one at a time. */
export class LayerBatches {
  private readonly open = new Map<THREE.RenderTarget, Waiting>();

  constructor(private readonly readback: Readback) {}

  /**
   * The layer of `target` the next frame is to be drawn into: the next one of its open batch, or 0 for
   * a new batch (a batch that has used every layer is read back first).
   */
  layer(target: THREE.RenderTarget): number {
    this.flushFull(target);
    return this.open.get(target)?.length ?? 0;
  }

  /** Add the frame just drawn into layer(target) to that target's batch; resolves to its pixels once read back. */
  add(target: THREE.RenderTarget): Promise<LayerPixels> {
    const waiting = this.open.get(target) ?? [];
    this.open.set(target, waiting);
    return new Promise<LayerPixels>((resolve, reject) => waiting.push({ resolve, reject }));
  }

  /**
   * Queue the readback of every batch that has used all its layers, or of `target`'s alone. A renderer
   * calls this after each sample rather than reading its image batch back the moment it fills: on
   * llvmpipe a readback waits for every pass queued before it, so the image's copy, queued after the
   * sample's label passes, waits once for them all. Label passes read a full batch back at once.
   */
  flushFull(target?: THREE.RenderTarget): void {
    for (const [t, waiting] of this.open) if ((!target || t === target) && waiting.length >= t.depth) this.flush(t);
  }

  /**
   * Queue the readback of `target`'s open batch, or of every open batch: before the target is drawn
   * into again from layer 0, disposed (its copy is queued first, and destroy waits for it), or when no
   * more frames are coming.
   */
  flush(target?: THREE.RenderTarget): void {
    if (target) {
      const waiting = this.open.get(target);
      this.open.delete(target);
      if (waiting) this.read(target, waiting);
      return;
    }
    const all = [...this.open];
    this.open.clear();
    for (const [t, waiting] of all) this.read(t, waiting);
  }

  private read(target: THREE.RenderTarget, waiting: Waiting): void {
    const n = waiting.length;
    if (n === 0) return;
    const reads = (async () => Promise.all(target.textures.map((_, index) => this.readback.readLayers(target, index, n))))();
    reads.then(
      (textures) => waiting.forEach((w, layer) => w.resolve(textures.map((texture) => texture[layer]))),
      (err: Error) => waiting.forEach((w) => w.reject(err)),
    );
  }
}
