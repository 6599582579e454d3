/**
 * The GPU device: Dawn's Node binding (npm `webgpu`), the only importer of it. On a machine without
 * a GPU, Dawn's OpenGL ES backend on Mesa's llvmpipe (surfaceless EGL); with a GPU, Vulkan.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { RenderError } from '../core/errors.js';

/**
 * Dawn's notices that are no errors: on llvmpipe it clamps two limits each time it opens an adapter
 * (once per renderer thread) and says so on stderr; with `auto` on a machine without Mesa, probing
 * OpenGL ES fails with a long message (openGpu and pinGpuDrivers avoid that probe when Vulkan
 * answers). Dawn writes them from native code straight to file descriptor 2, so the CLI filters its
 * stderr with this (core/filtered-stderr.ts); every other line, real errors included, passes.
 */
export const DAWN_NOTICES = {
  prefixes: ['Warning: ', 'While trying to discover a BackendType::OpenGLES adapter'],
  drop: (line: string): boolean => /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/.test(line)
    || /^(Warning: |Error: )?While trying to discover a BackendType::OpenGLES adapter/.test(line),
};

/** Which Dawn backend to use; `auto` tries Vulkan on a hardware adapter, then OpenGL ES. */
export type Backend = 'auto' | 'opengles' | 'vulkan';
/** Backend names accepted on the command line and over HTTP. */
export const BACKENDS: readonly Backend[] = ['auto', 'opengles', 'vulkan'];

/** An opened GPU device with what is known about it. */
export interface GpuHandle {
  /** The Dawn instance: it must stay referenced as long as the device lives (or Dawn crashes). */
  gpu: GPU;
  device: GPUDevice;
  backend: Exclude<Backend, 'auto'>;
  adapter: { vendor: string; architecture: string; device: string; description: string };
}

type DawnModule = { create(options: string[]): GPU; globals: Record<string, unknown> };
let dawn: DawnModule | null = null;

/** Load Dawn and put its WebGPU globals (GPUBufferUsage, ...) on globalThis, once. */
async function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    try {
      dawn = (await import('webgpu')) as unknown as DawnModule;
    } catch (err) {
      throw new RenderError(`could not load Dawn's Node binding (npm package "webgpu"): ${(err as Error).message}`);
    }
    Object.assign(globalThis, dawn.globals);
  }
  return dawn;
}

/** Where a Vulkan loader may live; without one, `auto` skips Vulkan (and Dawn's warning about it). */
const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/usr/local/lib/libvulkan.so.1'];

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;

/** Device nodes a hardware GPU's driver exposes (NVIDIA's, and the DRM render nodes of the others). */
const HARDWARE_GPU_NODES = ['/dev/nvidia0', '/dev/dri/renderD128'];

/**
 * Whether `backend` will most likely render on a hardware GPU, without opening one (which costs a
 * second and, on llvmpipe, Dawn's warnings): `vulkan` yes, `opengles` no, `auto` when a Vulkan loader
 * and a GPU device node are both there (what openGpu's `auto` then finds, but for a GPU without a
 * Vulkan driver).
 */
export function likelyHardwareGpu(backend: Backend = 'auto'): boolean {
  if (backend !== 'auto') return backend === 'vulkan';
  return VULKAN_LOADERS.some((p) => existsSync(p)) && HARDWARE_GPU_NODES.some((p) => existsSync(p));
}

/**
 * Frames up to this many pixels render faster when each renderer thread rasterises its own frames
 * (LP_NUM_THREADS=0) than on llvmpipe's rasteriser threads, once there are two renderer threads or
 * more. llvmpipe has one rasteriser per process, shared by every renderer thread under a lock: its
 * threads pay off when rasterising is a large part of a frame, and cost a hand-over and wake-ups per
 * pass (shadow map, image, instance ids) when it is not. Measured on 2 cores with two renderer threads
 * (bench/render.ts, end to end, one object): 64² 271 → 356 img/s, 224² 132 → 152, 320² 85 → 91, 384²
 * 68 → 72 (five objects even), 512² 52 → 46; 64² over HTTP at concurrency 8: 340 → 500-590 req/s.
 */
export const SMALL_FRAME_PIXELS = 384 * 384;

/**
 * llvmpipe's rasteriser threads when LP_NUM_THREADS is not set. With two renderer threads or more and
 * frames of at most SMALL_FRAME_PIXELS: none (each renderer thread rasterises its own). Otherwise one
 * per core (llvmpipe's own default), but at least four: on two cores four threads render 224² frames
 * 5-10% faster (one object) and 10-19% (five objects) than two with one renderer (measured; why is our
 * reading: a frame is only 16 tiles of 64x64 of very unequal cost, sky against an object, and more
 * threads than cores keep both busy to the frame's end). Rasterised pixels do not depend on the count.
 * @param renderers renderer threads that will share the rasteriser
 * @param framePixels the largest frame (width x height) they are expected to render; unknown: Infinity
 */
export function llvmpipeThreads(cores = availableParallelism(), renderers = 1, framePixels = Infinity): number {
  if (renderers >= 2 && framePixels <= SMALL_FRAME_PIXELS) return 0;
  return Math.min(16, Math.max(4, cores));
}

/**
 * Set what Mesa reads from the process environment when it opens an adapter (unless the user set it):
 * LP_NUM_THREADS (`threads`, default llvmpipeThreads()) and EGL_PLATFORM=surfaceless (no
 * display). Mesa reads the C environment, which only the main thread's process.env writes to (a worker
 * thread's is its own copy), and only when the process opens its first adapter: a renderer pool calls
 * this before it starts its threads; openGpu calls it too. The first call of a process decides.
 */
export function prepareGpuEnvironment(threads: number = llvmpipeThreads()): void {
  process.env.LP_NUM_THREADS ??= String(threads);
  process.env.EGL_PLATFORM ??= 'surfaceless';
}

/** llvmpipe's rasteriser threads in this process: LP_NUM_THREADS as set (by the user or prepareGpuEnvironment), null before. */
export function rasterThreads(): number | null {
  const v = process.env.LP_NUM_THREADS;
  return v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v);
}

async function tryBackend(d: DawnModule, backend: Exclude<Backend, 'auto'>, requireHardware: boolean): Promise<GpuHandle | null> {
  const gpu = d.create([`backend=${backend}`]);
  const adapter: GPUAdapter | null = await gpu
    .requestAdapter({ featureLevel: 'compatibility', powerPreference: 'high-performance' } as GPURequestAdapterOptions)
    .catch(() => null);
  if (!adapter) return null;
  const info = adapter.info;
  const described = { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '' };
  if (requireHardware && SOFTWARE_ADAPTER.test(`${described.description} ${described.device}`)) return null;
  const device = await adapter.requestDevice({ requiredFeatures: [...adapter.features] as GPUFeatureName[] });
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) g.navigator.gpu = gpu;
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  return { gpu, device, backend, adapter: described };
}

/** What the main thread keeps open for the life of the process (see pinGpuDrivers). */
const pinned: unknown[] = [];

/**
 * Keep the GPU driver libraries loaded for the life of the process. Dawn unloads libEGL (and with it
 * Mesa) or the Vulkan loader when its last adapter on them goes; with renderers on several threads, a
 * thread freeing its device then unmapped code another ending thread was about to run (its
 * thread-local destructors): a segfault, about one pool disposal in two. An adapter held here (no
 * device: a few MB) keeps them loaded. A renderer pool calls this before it starts its threads, with
 * the llvmpipe rasteriser threads it wants (see prepareGpuEnvironment).
 */
export async function pinGpuDrivers(backend: Backend = 'auto', threads?: number): Promise<void> {
  if (pinned.length > 0) return;
  const d = await loadDawn();
  prepareGpuEnvironment(threads);
  // Vulkan first: when a hardware adapter answers, `auto` renders on it and OpenGL ES is never asked
  // (on a machine without Mesa, asking it prints Dawn's "While trying to discover a
  // BackendType::OpenGLES adapter" error).
  for (const b of ['vulkan', 'opengles'] as const) {
    if (backend !== 'auto' && backend !== b) continue;
    if (b === 'vulkan' && !VULKAN_LOADERS.some((p) => existsSync(p))) continue;
    const gpu = d.create([`backend=${b}`]);
    const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions).catch(() => null);
    if (!adapter) continue;
    pinned.push(gpu, adapter);
    if (b === 'vulkan' && backend === 'auto' && !SOFTWARE_ADAPTER.test(`${adapter.info?.description ?? ''} ${adapter.info?.device ?? ''}`)) break;
  }
}

/**
 * Open a GPU device on `backend`. `auto` picks Vulkan when a hardware adapter answers, else OpenGL ES.
 * @throws RenderError naming the backend and the system packages to install when none works.
 */
export async function openGpu(backend: Backend = 'auto'): Promise<GpuHandle> {
  const d = await loadDawn();
  prepareGpuEnvironment();
  const hasVulkanLoader = VULKAN_LOADERS.some((p) => existsSync(p));
  if (backend === 'vulkan' || (backend === 'auto' && hasVulkanLoader)) {
    const handle = await tryBackend(d, 'vulkan', backend === 'auto');
    if (handle) return handle;
    if (backend === 'vulkan') {
      throw new RenderError('backend vulkan: no Vulkan adapter answered (is a GPU with a Vulkan driver present?); use --backend opengles or auto for the CPU path');
    }
  }
  const handle = await tryBackend(d, 'opengles', false);
  if (handle) return handle;
  throw new RenderError('backend opengles: no adapter answered; install Mesa (apt-get install libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri) and keep EGL_PLATFORM=surfaceless');
}

/** Give three.js what it expects of a browser: navigator.gpu, requestAnimationFrame, self. */
export function installBrowserShims(): void {
  const g = globalThis as Record<string, unknown>;
  if (!g.navigator || !(g.navigator as { gpu?: unknown }).gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: {}, userAgent: 'node' }, configurable: true, writable: true });
  }
  g.self ??= globalThis;
  // No display, no refresh: frames advance only when the renderer says so (see renderer.ts). A timer
  // here would advance three's node frame by wall-clock time and make shadow updates timing-dependent.
  g.requestAnimationFrame ??= () => 0;
  g.cancelAnimationFrame ??= () => undefined;
}
