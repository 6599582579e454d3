/**
 * The headless renderer: one three.js WebGPURenderer on one GPU device, reused for every sample.
 * render(desc) sets the stage, renders into an sRGB, tone-mapped render target and reads it back.
 */
import type * as THREE_NS from 'three/webgpu';
import { openGpu, installBrowserShims, type Backend, type GpuHandle } from './gpu.js';
import { Stage } from './stage.js';
import type { SceneDescription } from '../spec/sample.js';
import type { AssetLibrary } from '../assets/library.js';
import { RenderError } from '../core/errors.js';
import { LabelRenderer, instanceAreaLabels, cameraLabel, placed, MAX_ID_OBJECTS } from './labels.js';
import { Readback } from './readback.js';
import { LayerBatches, batchLayers } from './layer-batches.js';
import { ReflectionMaps } from './reflections.js';
import type { LabelSet } from '../labels/types.js';
import type { LabelPass } from '../spec/schema.js';
import { context, renderOutput, mrt, output, uniform, vec4 } from 'three/tsl';

/** Options of createRenderer. */
export interface RenderOptions {
  backend?: Backend;
  /** Largest shadow map (texels per side); smaller frames use smaller maps (see shadowMapSizeFor in stage.ts). */
  shadowMapSize?: number;
  /** Tone mapping applied before sRGB encoding. */
  toneMapping?: 'neutral' | 'agx' | 'aces' | 'none';
  /** Sun shadows: `soft` (one hardware-filtered PCF tap on a map of about a texel per pixel, see shadow-filter.ts), `hard` (one depth compare per pixel, cheaper), `off`. */
  shadows?: 'soft' | 'hard' | 'off';
  /**
   * Frames read back together: up to this many samples drawn one after another go into the layers of
   * one array target and come back in one copy and one mapping (fewer at large sizes: batchLayers);
   * their label passes likewise, into the layers of the label targets. 1: each frame alone.
   */
  batch?: number;
}

/** Shadow modes accepted on the command line. */
export const SHADOW_MODES = ['soft', 'hard', 'off'] as const;

/** Defaults of RenderOptions; the CLI and HTTP read these. */
export const RENDER_DEFAULTS: Required<RenderOptions> = {
  backend: 'auto',
  shadowMapSize: 512,
  toneMapping: 'neutral',
  shadows: 'soft',
  batch: 8,
};

/** Largest RenderOptions.batch. */
export const MAX_BATCH = 16;

/** A rendered frame: RGBA8 pixels, rows top-down, sRGB; with `labels` when label passes were asked for. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8Array;
  labels?: LabelSet;
}

/** Per-call options of SceneRenderer.render. */
export interface FrameOptions {
  /** Label passes to render with the image (see LABEL_PASSES); none by default. */
  labels?: readonly LabelPass[];
  /**
   * Count each object's visible pixels in the image itself: the colour pass also writes instance ids
   * into a second render target, instead of a separate label render. The frame then carries `labels`
   * with each object's box and area (visibility 1 when any pixel shows), for the minimum-visible-pixels
   * check. Ignored when `labels` are asked (their pass gives the same).
   */
  instanceAreas?: boolean;
}

/** A renderer bound to one GPU device and one asset library. */
export interface SceneRenderer {
  readonly backend: GpuHandle['backend'];
  readonly adapter: GpuHandle['adapter'];
  /** three.js revision, for manifests. */
  readonly threeRevision: string;
  /** The asset library the renderer builds objects from (colour names for captions, the catalog). */
  readonly library?: AssetLibrary;
  /**
   * How many renders run at once (a pool of worker renderers: its size; one renderer: 1). Callers
   * that can keep that many samples in flight go that much faster.
   */
  readonly parallelism?: number;
  /** Frames each renderer reads back together at most (RenderOptions.batch); 1 when absent. */
  readonly batch?: number;
  /** Render one sample. Calls are queued: concurrent callers are served one at a time, in order (a pool: one at a time per worker). */
  render(desc: SceneDescription, options?: FrameOptions): Promise<Frame>;
  /** Free the device and everything on it (a pool: resolves when its workers have exited). */
  dispose(): void | Promise<void>;
}

let noticeQuieted = false;
/**
 * On the OpenGL ES backend (compatibility mode) three applies each material's blending to every
 * render target of an MRT and says so once per process. The instance ids the renderer writes beside
 * the image have alpha 1, so normal blending keeps them exact and additive overlays (stars) add 0:
 * the notice is expected, and dropped; every other message of three passes through.
 */
function quietMrtBlendingNotice(THREE: typeof THREE_NS): void {
  if (noticeQuieted) return;
  noticeQuieted = true;
  const previous = THREE.getConsoleFunction();
  THREE.setConsoleFunction((type: 'log' | 'warn' | 'error', message: string, ...rest: unknown[]) => {
    if (type === 'warn' && message.includes('(MRT) blending configuration is not fully supported in compatibility mode')) return;
    if (previous) previous(type, message, ...rest);
    else console[type](message, ...rest);
  });
}

/**
 * Open the GPU and create a renderer. One per process is the rule: the device, pipelines and
 * textures are reused across thousands of samples.
 * @throws RenderError when no backend works.
 */
export async function createRenderer(library: AssetLibrary, options: RenderOptions = {}): Promise<SceneRenderer> {
  const opts = { ...RENDER_DEFAULTS, ...options };
  if (!Number.isInteger(opts.batch) || opts.batch < 1 || opts.batch > MAX_BATCH) throw new RangeError(`batch: expected an integer from 1 to ${MAX_BATCH}, got ${opts.batch}`);
  installBrowserShims();
  const gpu = await openGpu(opts.backend);
  const THREE = (await import('three/webgpu')) as typeof THREE_NS;
  const canvas = { width: 64, height: 64, style: {}, addEventListener() {}, removeEventListener() {}, getContext() { return null; } };
  const renderer = new THREE.WebGPURenderer({ canvas: canvas as unknown as HTMLCanvasElement, device: gpu.device, antialias: false } as ConstructorParameters<typeof THREE.WebGPURenderer>[0]);
  try {
    await renderer.init();
  } catch (err) {
    throw new RenderError(`renderer init on ${gpu.backend} failed: ${(err as Error).message}`);
  }
  renderer.shadowMap.enabled = opts.shadows !== 'off';
  renderer.shadowMap.type = opts.shadows === 'hard' ? THREE.BasicShadowMap : THREE.PCFShadowMap;
  renderer.toneMapping = {
    neutral: THREE.NeutralToneMapping, agx: THREE.AgXToneMapping, aces: THREE.ACESFilmicToneMapping, none: THREE.NoToneMapping,
  }[opts.toneMapping];
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  const reflections = new ReflectionMaps(renderer);
  const stage = new Stage(library, opts.shadowMapSize, opts.shadows === 'soft', (radiance) => reflections.create(radiance));
  // three advances its node frame (which gates per-frame work such as shadow-map updates) from the
  // animation loop; headless, we advance it once per sample so every render is a fresh frame.
  const maybeFrame = (renderer as unknown as { _nodes?: { nodeFrame?: { update(): void } } })._nodes?.nodeFrame;
  if (!maybeFrame) throw new RenderError(`three r${THREE.REVISION}: renderer._nodes.nodeFrame not found; this three version is not supported`);
  const nodeFrame = maybeFrame;
  // Tone mapping and sRGB encoding inside every material's fragment shader, written straight into the
  // 8-bit target, instead of three's default of a float intermediate target plus a full-screen output
  // pass: one pass and one rasteriser flush less per frame. Label passes render with the plain context.
  const plainContext = renderer.contextNode;
  const outputContext = context({
    getOutput: (outputNode: Parameters<typeof renderOutput>[0], builder: { material: { premultipliedAlpha: boolean } }) => {
      const node = renderOutput(outputNode, renderer.toneMapping, renderer.outputColorSpace);
      node.premultipliedAlpha = builder.material.premultipliedAlpha;
      return node;
    },
  });
  // Instance ids beside the colour (FrameOptions.instanceAreas): every material also writes its mesh's
  // instance (userData.synthInstance, 0 for the environment) into a second target. The colour entry
  // is the same tone-mapped, sRGB output as outputContext's (an MRT replaces the context's output).
  const instance = uniform(0).onObjectUpdate(({ object }) => (object?.userData.synthInstance as number | undefined) ?? 0);
  const withIds = mrt({ output: renderOutput(output, renderer.toneMapping, renderer.outputColorSpace), ids: vec4(instance.div(255), 0, 0, 1) });
  quietMrtBlendingNotice(THREE);
  const readback = new Readback(renderer, gpu.device);
  /**
   * Frames drawn and not yet read back, image and label targets alike: read back once a target's
   * layers are used up, or when no render is queued (a lone request is never held back).
   */
  const batches = new LayerBatches(readback);
  /**
   * The image target, and the one with an instance-id texture beside it, each kept at the last size
   * asked: batchLayers layers deep (an array texture) when frames are batched.
   */
  const targets: { plain: THREE_NS.RenderTarget | null; ids: THREE_NS.RenderTarget | null } = { plain: null, ids: null };
  function targetFor(w: number, h: number, ids: boolean): THREE_NS.RenderTarget {
    const key = ids ? 'ids' : 'plain';
    const kept = targets[key];
    if (kept && kept.width === w && kept.height === h) return kept;
    if (kept) {
      batches.flush(kept);
      kept.dispose();
    }
    // Plain rgba8unorm textures: the materials already encode sRGB (outputContext); an -srgb format would encode twice.
    const made = new THREE.RenderTarget(w, h, { count: ids ? 2 : 1, depth: batchLayers(w, h, opts.batch), type: THREE.UnsignedByteType, colorSpace: THREE.LinearSRGBColorSpace, depthBuffer: true });
    made.textures[0].name = 'output';
    if (ids) made.textures[1].name = 'ids';
    targets[key] = made;
    return made;
  }
  let queue: Promise<unknown> = Promise.resolve();
  /** render() calls not yet drawn. */
  let queued = 0;
  let labelRenderer: LabelRenderer | null = null;
  let disposed = false;

  /**
   * Draw `desc` and queue its readback; the returned promise resolves once the GPU work is queued,
   * to the frame still to come back. The stage is free for the next sample at once: a renderer draws
   * sample n + 1 while sample n's pixels are still on their way (on a hardware GPU the thread's own
   * JavaScript then overlaps the GPU's work and the readback; on llvmpipe the GPU's work is done
   * inside the submit, so nothing changes). Label passes likewise: all drawn now, decoded when back.
   * With `batch` > 1 the frame (and its label passes) go into the next layer of their targets' open
   * batches, read back with the others (LayerBatches).
   */
  async function draw(desc: SceneDescription, options: FrameOptions): Promise<{ frame: Promise<Frame> }> {
    queued--;
    try {
      if (disposed) throw new RenderError('render: the renderer was disposed');
      return drawInto(desc, options);
    } finally {
      if (queued === 0) batches.flush();
      else batches.flushFull();
    }
  }

  function drawInto(desc: SceneDescription, options: FrameOptions): { frame: Promise<Frame> } {
    try {
      const [w, h] = desc.resolution;
      const asked = (options.labels?.length ?? 0) > 0;
      const ids = !asked && options.instanceAreas === true && desc.objects.length <= MAX_ID_OBJECTS;
      const frameTarget = targetFor(w, h, ids);
      const built = stage.set(desc);
      nodeFrame.update();
      if (ids) built.forEach((b, k) => b.object.traverse((o) => { o.userData.synthInstance = k + 1; }));
      renderer.setOutputRenderTarget(null);
      renderer.setRenderTarget(frameTarget, batches.layer(frameTarget));
      renderer.setMRT(ids ? withIds : null);
      renderer.contextNode = outputContext;
      try {
        renderer.render(stage.scene, stage.camera);
      } finally {
        renderer.contextNode = plainContext;
        renderer.setMRT(null);
        renderer.setRenderTarget(null);
        if (ids) built.forEach((b) => b.object.traverse((o) => { delete o.userData.synthInstance; }));
      }
      const pixels = batches.add(frameTarget) as Promise<Uint8Array[]>;
      const objects = built.map((b, k) => ({ root: b.object, class: desc.objects[k].class, label: desc.objects[k].classIndex }));
      if (asked) {
        // Label passes are drawn before the image is read back: each readback waits until llvmpipe has
        // finished every pass before it, so one wait covers all the frames instead of one per pass
        // (8-9% of a five-object sample with an 8-bit id pass). Their pixels come back later, too.
        labelRenderer ??= new LabelRenderer(renderer, batches, opts.batch);
        const labels = labelRenderer.render({
          scene: stage.scene, camera: stage.camera, width: w, height: h, passes: options.labels!, objects,
          isSky: (mesh) => mesh.userData.labelSky === true,
        });
        return { frame: Promise.all([pixels, labels]).then(([[rgba], set]) => ({ width: w, height: h, rgba, labels: set })) };
      }
      if (!ids) return { frame: pixels.then(([rgba]) => ({ width: w, height: h, rgba })) };
      // What the instance-area labels need of the stage, taken now: the stage moves on to the next sample.
      const camera = cameraLabel(stage.camera, w, h);
      const where = placed(objects);
      return { frame: pixels.then(([rgba, idRgba]) => ({ width: w, height: h, rgba, labels: instanceAreaLabels(idRgba, camera, where) })) };
    } finally {
      stage.clearObjects();
    }
  }

  return {
    backend: gpu.backend,
    adapter: gpu.adapter,
    threeRevision: THREE.REVISION,
    library,
    batch: opts.batch,
    render(desc, options = {}) {
      // Draws one at a time, in call order; each frame's readback overlaps the draws after it.
      queued++;
      const drawn = queue.then(() => draw(desc, options));
      queue = drawn.catch(() => undefined);
      return drawn.then((d) => d.frame);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      batches.flush();
      stage.dispose();
      reflections.dispose();
      labelRenderer?.dispose();
      readback.dispose();
      targets.plain?.dispose();
      targets.ids?.dispose();
      renderer.dispose();
      gpu.device.destroy();
    },
  };
}
