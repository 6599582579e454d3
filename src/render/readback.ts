/**
 * Render-target readback through mappable buffers kept per target size, instead of three's
 * readRenderTargetPixelsAsync, which creates (and zero-fills) a new buffer for every call: on Dawn's
 * OpenGL ES backend that creation was about 5% of a 224x224 frame. readLayers brings back several
 * layers of an array target (a batch of frames, layer-batches.ts) in one copy and one mapping.
 */
import * as THREE from 'three/webgpu';
import { RenderError } from '../core/errors.js';

/** Bytes per texel of the render-target kinds the renderer reads back. */
function texelBytes(texture: THREE.Texture): { bytes: number; float: boolean } {
  if (texture.format !== THREE.RGBAFormat) throw new RenderError(`readback: only RGBA targets are read back, got format ${texture.format}`);
  if (texture.type === THREE.UnsignedByteType) return { bytes: 4, float: false };
  if (texture.type === THREE.FloatType) return { bytes: 16, float: true };
  throw new RenderError(`readback: only 8-bit and float RGBA targets are read back, got type ${texture.type}`);
}

/** Rows of a texture-to-buffer copy are padded to this many bytes (WebGPU's rule). */
const ROW_ALIGN = 256;

/**
 * Reads render targets back through mappable buffers kept between calls: per byte size, as many as
 * reads have been in flight at once (a renderer keeps a frame's readback pending while it draws the
 * next: see renderer.ts), each reused once its read is done.
 */
export class Readback {
  /** Idle buffers by byte size. */
  private readonly idle = new Map<number, GPUBuffer[]>();
  private readonly all = new Set<GPUBuffer>();

  constructor(private readonly renderer: THREE.WebGPURenderer, private readonly device: GPUDevice) {}

  /**
   * The pixels of the first `layers` layers of texture `index` of a target (more than one texture with
   * MRT; more than one layer when its `depth` > 1), each its own array (its own buffer, so each can move
   * to another thread alone), rows top-down as three returns them: Uint8Array or Float32Array. One copy
   * and one mapping for all of them, queued at once, behind what was rendered and ahead of anything
   * rendered after this call, so the target can be drawn into again before the promise resolves.
   */
  readLayers(target: THREE.RenderTarget, index: number, layers: number): Promise<(Uint8Array | Float32Array)[]> {
    const { width: w, height: h } = target;
    const source = target.textures[index];
    if (!source) throw new RenderError(`readback: the target has ${target.textures.length} texture(s), got index ${index}`);
    const depth = (source.image as { depth?: number }).depth ?? 1;
    if (!Number.isInteger(layers) || layers < 1 || layers > depth) throw new RenderError(`readback: expected 1 to ${depth} layers of the target, got ${layers}`);
    const { bytes, float } = texelBytes(source);
    const backend = (this.renderer as unknown as { backend: { get(o: object): { texture?: GPUTexture } } }).backend;
    const texture = backend.get(source).texture;
    if (!texture) throw new RenderError('readback: the target has no GPU texture yet (render into it first)');
    const rowBytes = w * bytes;
    const paddedRow = Math.ceil(rowBytes / ROW_ALIGN) * ROW_ALIGN;
    const layerBytes = paddedRow * h;
    // Buffers hold every layer of the target, whatever a read takes, so one size serves a target's reads.
    const size = layerBytes * depth;
    const buffer = this.idle.get(size)?.pop() ?? this.create(size);
    const encoder = this.device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture }, { buffer, bytesPerRow: paddedRow, rowsPerImage: h }, { width: w, height: h, depthOrArrayLayers: layers });
    this.device.queue.submit([encoder.finish()]);
    return buffer.mapAsync(GPUMapMode.READ, 0, layerBytes * layers).then(() => {
      try {
        const padded = new Uint8Array(buffer.getMappedRange(0, layerBytes * layers));
        return Array.from({ length: layers }, (_, layer) => {
          const from = padded.subarray(layer * layerBytes, (layer + 1) * layerBytes);
          const out = new Uint8Array(rowBytes * h);
          if (paddedRow === rowBytes) out.set(from);
          else for (let row = 0; row < h; row++) out.set(from.subarray(row * paddedRow, row * paddedRow + rowBytes), row * rowBytes);
          return float ? new Float32Array(out.buffer) : out;
        });
      } finally {
        buffer.unmap();
        this.release(size, buffer);
      }
    }, (err: unknown) => {
      this.release(size, buffer);
      throw new RenderError(`readback: mapping the copy of ${layers > 1 ? `${layers} layers of ` : ''}a ${w}x${h} target failed: ${(err as Error).message}`);
    });
  }

  private create(size: number): GPUBuffer {
    const buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    this.all.add(buffer);
    return buffer;
  }

  private release(size: number, buffer: GPUBuffer): void {
    if (!this.all.has(buffer)) return; // disposed meanwhile
    let list = this.idle.get(size);
    if (!list) this.idle.set(size, (list = []));
    list.push(buffer);
  }

  /** Free the kept buffers. */
  dispose(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.idle.clear();
  }
}
