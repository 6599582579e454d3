/**
 * Reflection maps (image-based light on objects) without three's PMREM generator. An environment's
 * radiance depends only on elevation (sky gradient above, ground below: environmentRadiance), so its
 * GGX prefiltering is a one-dimensional sum per roughness level, done here on the CPU in a few
 * milliseconds (prefilterRadiance). The GPU then only paints each level onto the faces of a small cube
 * render target in three's PMREM layout, which materials take as it is (`isPMREMTexture`). three's
 * generator instead renders a 256² cube and convolves it with 256 GGX samples per texel: on llvmpipe
 * about half a second per environment and renderer thread, most of a job's start-up.
 */
import * as THREE from 'three/webgpu';
import { texture as textureNode, positionWorldDirection, vec2, vec4, float } from 'three/tsl';

/** Side of the sharpest face of a reflection map; levels halve down to 8 (as three's PMREM: five levels from 128). */
export const REFLECTION_SIZE = 128;
const SMALLEST_LEVEL = 8;

/** GGX samples per output row and level. */
const GGX_SAMPLES = 512;

/** Roughness of level `lod` of `maxLod`: the inverse of three's roughnessToMip (mip = maxLod · r · (2 − r)). */
export function levelRoughness(lod: number, maxLod: number): number {
  return maxLod > 0 ? 1 - Math.sqrt(1 - lod / maxLod) : 0;
}

/** Van der Corput radical inverse in base 2 (the second Hammersley coordinate). */
function radicalInverse(i: number): number {
  let bits = i >>> 0;
  bits = ((bits << 16) | (bits >>> 16)) >>> 0;
  bits = (((bits & 0x55555555) << 1) | ((bits & 0xaaaaaaaa) >>> 1)) >>> 0;
  bits = (((bits & 0x33333333) << 2) | ((bits & 0xcccccccc) >>> 2)) >>> 0;
  bits = (((bits & 0x0f0f0f0f) << 4) | ((bits & 0xf0f0f0f0) >>> 4)) >>> 0;
  bits = (((bits & 0x00ff00ff) << 8) | ((bits & 0xff00ff00) >>> 8)) >>> 0;
  return bits / 4294967296;
}

/** Linear RGB of `rows` (n × 3, by elevation from +90 to -90 degrees) at direction height `y` (sin of the elevation), linearly interpolated. */
function radianceAt(rows: Float32Array, y: number, out: number[]): void {
  const n = rows.length / 3;
  const el = Math.asin(Math.max(-1, Math.min(1, y))); // radians
  const f = Math.max(0, Math.min(n - 1, (0.5 - el / Math.PI) * n - 0.5));
  const i = Math.floor(f);
  const j = Math.min(n - 1, i + 1);
  const w = f - i;
  for (let c = 0; c < 3; c++) out[c] = rows[i * 3 + c] * (1 - w) + rows[j * 3 + c] * w;
}

/**
 * GGX-prefiltered radiance of an elevation-only environment, per roughness level: for each level, the
 * same `rows` layout as the input (n × 3 linear RGB by elevation). Each output row is the mean of the
 * radiance over GGX-distributed light directions about the reflected direction at that elevation
 * (normal = view = reflection, weighted by N·L, as three's prefilter does), with GGX_SAMPLES Hammersley
 * samples; level 0 (roughness 0) is the input. Pure and deterministic.
 * @throws RangeError when rows is empty or not a multiple of 3, or levels < 1.
 */
export function prefilterRadiance(rows: Float32Array, levels: number): Float32Array[] {
  if (rows.length === 0 || rows.length % 3 !== 0) throw new RangeError(`prefilterRadiance: expected rows × 3 values, got ${rows.length}`);
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`prefilterRadiance: expected at least 1 level, got ${levels}`);
  const n = rows.length / 3;
  const out: Float32Array[] = [Float32Array.from(rows)];
  const e = [0, 0, 0];
  for (let lod = 1; lod < levels; lod++) {
    const roughness = levelRoughness(lod, levels - 1);
    const a2 = roughness ** 4; // alpha = roughness², and GGX uses alpha²
    const level = new Float32Array(n * 3);
    for (let row = 0; row < n; row++) {
      const el = (Math.PI / 2) - ((row + 0.5) / n) * Math.PI;
      // Reflection direction N in the x-y plane (the radiance has no azimuth), tangent T, bitangent B = z.
      const nx = Math.cos(el), ny = Math.sin(el);
      const ty = nx; // T = (−sin el, cos el, 0)
      let r = 0, g = 0, b = 0, weight = 0;
      for (let s = 0; s < GGX_SAMPLES; s++) {
        const u = (s + 0.5) / GGX_SAMPLES;
        const phi = 2 * Math.PI * radicalInverse(s);
        const cosH = Math.sqrt((1 - u) / (1 + (a2 - 1) * u));
        const sinH = Math.sqrt(1 - cosH * cosH);
        const ht = sinH * Math.cos(phi); // along T
        // H = T·ht + B·(sinH sin φ) + N·cosH (B, along z, leaves the height alone); L = 2 (N·H) H − N, N·H = cosH.
        const hy = ty * ht + ny * cosH;
        const ly = 2 * cosH * hy - ny;
        const nDotL = 2 * cosH * cosH - 1;
        if (nDotL <= 0) continue;
        radianceAt(rows, ly, e);
        r += e[0] * nDotL; g += e[1] * nDotL; b += e[2] * nDotL; weight += nDotL;
      }
      level[row * 3] = r / weight; level[row * 3 + 1] = g / weight; level[row * 3 + 2] = b / weight;
    }
    out.push(level);
  }
  return out;
}

/** Levels of a reflection map of side `size`, down to SMALLEST_LEVEL (three's PMREM layout: its maxLod is this minus one). */
export function reflectionLevels(size = REFLECTION_SIZE): number {
  return Math.log2(size / SMALLEST_LEVEL) + 1;
}

type CubeCameraTarget = THREE.CubeCamera['renderTarget'];

/** A reflection map on the GPU and how to free it. */
export interface ReflectionMap {
  texture: THREE.Texture;
  dispose(): void;
}

/**
 * Paints prefiltered radiance onto cube render targets for one renderer: one box drawn into each
 * face and level by a cube camera, its material reading the level's row table at the direction's
 * elevation. Not thread-safe (one renderer).
 */
export class ReflectionMaps {
  // three's types give the cube camera a WebGL target; the WebGPU renderer draws into a CubeRenderTarget.
  private readonly camera = new THREE.CubeCamera(1, 10, null as unknown as CubeCameraTarget);
  private readonly table = textureNode(new THREE.Texture());
  private readonly box: THREE.Mesh;

  constructor(private readonly renderer: THREE.WebGPURenderer) {
    const material = new THREE.NodeMaterial();
    material.name = 'reflection-levels';
    const y = positionWorldDirection.y.clamp(-1, 1);
    // u = 0.5 − elevation / π: row i's centre is at u = (i + 0.5) / rows (environmentRadiance's layout).
    material.fragmentNode = vec4(this.table.sample(vec2(float(0.5).sub(y.asin().div(Math.PI)), 0.5)).rgb, 1);
    material.side = THREE.BackSide;
    material.blending = THREE.NoBlending;
    material.depthTest = false;
    material.depthWrite = false;
    material.fog = false;
    this.box = new THREE.Mesh(new THREE.BoxGeometry(5, 5, 5), material);
  }

  /** A reflection map of elevation radiance `rows` (see environmentRadiance), prefiltered and painted now. */
  create(rows: Float32Array): ReflectionMap {
    const levels = reflectionLevels();
    const target = new THREE.CubeRenderTarget(REFLECTION_SIZE, {
      minFilter: THREE.LinearMipmapLinearFilter, magFilter: THREE.LinearFilter, generateMipmaps: false,
      type: THREE.HalfFloatType, colorSpace: THREE.LinearSRGBColorSpace, depthBuffer: false,
    });
    const mipmaps = target.texture.mipmaps as unknown as { width: number; height: number }[];
    for (let lod = 0; lod < levels; lod++) mipmaps.push({ width: REFLECTION_SIZE >> lod, height: REFLECTION_SIZE >> lod });
    target.texture.name = 'PMREM';
    (target.texture as THREE.Texture & { isPMREMTexture?: boolean }).isPMREMTexture = true;
    const n = rows.length / 3;
    const tables = prefilterRadiance(rows, levels).map((level) => {
      const data = new Uint16Array(n * 4);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) data[i * 4 + c] = THREE.DataUtils.toHalfFloat(level[i * 3 + c]);
        data[i * 4 + 3] = THREE.DataUtils.toHalfFloat(1);
      }
      const t = new THREE.DataTexture(data, n, 1, THREE.RGBAFormat, THREE.HalfFloatType);
      t.magFilter = THREE.LinearFilter;
      t.minFilter = THREE.LinearFilter;
      t.colorSpace = THREE.LinearSRGBColorSpace;
      t.needsUpdate = true;
      return t;
    });
    try {
      this.camera.renderTarget = target as unknown as CubeCameraTarget;
      for (const [lod, table] of tables.entries()) {
        this.table.value = table;
        this.camera.activeMipmapLevel = lod;
        this.camera.update(this.renderer, this.box);
      }
    } finally {
      for (const t of tables) t.dispose();
    }
    return { texture: target.texture, dispose: () => target.dispose() };
  }

  dispose(): void {
    this.box.geometry.dispose();
    (this.box.material as THREE.Material).dispose();
  }
}
