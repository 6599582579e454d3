/**
 * The stage a sample is drawn on: one three.js scene whose environment (built once and cached) and
 * objects (built per sample and disposed after their render) are swapped in from a SceneDescription.
 */
import * as THREE from 'three';
import type { SceneDescription } from '../spec/sample.js';
import type { AssetLibrary, BuiltObject } from '../assets/library.js';
import { environmentDef, type EnvironmentDef } from '../assets/environments.js';
import { toColor } from '../assets/materials.js';
import { kelvinToRgb } from '../core/color.js';
import { bilinearShadowFilter } from './shadow-filter.js';
import { cameraPosition, directionFrom } from './directions.js';
import { buildEnvironment, environmentRadiance, type BuiltEnvironment } from './environment.js';
import type { ReflectionMap } from './reflections.js';

/** Environment-map (reflection) intensity on objects, per unit of the environment's ambient intensity. */
const OBJECT_REFLECTION = 0.45;

/**
 * Shadow map side for a frame of `resolution`: about one texel per image pixel across the larger side
 * (the next power of two, at least 128), capped at `max`: 256 at 224², 512 at 512². The sun's shadow
 * camera is fitted to the objects, so near them a texel covers about an image pixel, and the soft
 * filter's bilinear ramp gives edges a pixel or two wide. A map twice as fine cost 14% more CPU per
 * 224² frame (clearing, rasterising and sampling four times the texels) for edges no one could tell
 * apart at that size.
 */
export function shadowMapSizeFor(resolution: readonly [number, number], max: number): number {
  return Math.min(max, 2 ** Math.ceil(Math.log2(Math.max(128, resolution[0], resolution[1]))));
}

/** One environment's cached parts: backdrop meshes, lighting parameters and reflection map. */
interface EnvironmentEntry {
  def: EnvironmentDef;
  built: BuiltEnvironment;
  /** Reflection map given to object materials (none without a painter: see Stage's constructor). */
  reflection: ReflectionMap | null;
}

/** Fog distances that leave every visible depth unfogged (the camera's far plane is 400). */
const NO_FOG = { near: 1e9, far: 2e9 };

/**
 * A reusable stage: one three.js scene, one camera, one sun and one hemisphere light for every
 * sample; the environment's meshes (built on first use and kept) are swapped in, its light colours
 * and fog set, and the objects swapped per sample. One scene rather than one per environment: the
 * renderer keeps state per (mesh, material, scene lights, render context), so with a scene per
 * environment every object mesh started cold in each of the 21 environments (about 13 new render
 * objects with their GPU buffers per five-object frame, growing memory for thousands of frames).
 * The fog is always on (far away when the environment has none) so no shader changes between
 * environments. Not thread-safe: one sample at a time.
 */
export class Stage {
  readonly camera = new THREE.PerspectiveCamera(40, 1, 0.05, 400);
  /** The scene every sample is drawn from. */
  readonly scene = new THREE.Scene();
  private readonly sun = new THREE.DirectionalLight(0xffffff, 1);
  private readonly hemi = new THREE.HemisphereLight(0xffffff, 0xffffff, 1);
  private readonly fog = new THREE.Fog(0xffffff, NO_FOG.near, NO_FOG.far);
  private readonly environments = new Map<string, EnvironmentEntry>();
  private current: EnvironmentEntry | null = null;
  private objects: BuiltObject[] = [];

  /**
   * shadowMapSize: the largest shadow map (see shadowMapSizeFor); softShadows: filter the sun's shadow
   * with bilinearShadowFilter (the renderer's `soft` mode, PCF shadow type); reflections: makes an
   * environment's reflection map from its radiance rows on the GPU (ReflectionMaps.create; without it
   * objects reflect nothing, for stages that are never rendered).
   */
  constructor(
    private readonly library: AssetLibrary, private readonly shadowMapSize = 512, softShadows = false,
    private readonly reflections: ((radiance: Float32Array) => ReflectionMap) | null = null,
  ) {
    const sun = this.sun;
    sun.castShadow = true; // its map is sized per sample (shadowMapSizeFor)
    sun.shadow.bias = -0.001;
    sun.shadow.normalBias = 0.03;
    if (softShadows) (sun.shadow as THREE.LightShadow & { filterNode?: unknown }).filterNode = bilinearShadowFilter;
    this.scene.add(sun, sun.target, this.hemi);
    this.scene.fog = this.fog;
  }

  private environmentEntry(name: string): EnvironmentEntry {
    let entry = this.environments.get(name);
    const def = environmentDef(name);
    if (entry && entry.def !== def) {
      // A background image registered again under the same name: rebuild its environment.
      if (this.current === entry) this.current = null;
      entry.built.group.removeFromParent();
      disposeEnvironment(entry);
      this.environments.delete(name);
      entry = undefined;
    }
    if (!entry) {
      // Reflections (image-based light) on objects only: on a CPU rasteriser, IBL on the ground and
      // walls costs about a quarter of the frame. Those surfaces get the same ambient amount from a
      // stronger hemisphere light instead.
      entry = { def, built: buildEnvironment(def), reflection: this.reflections?.(environmentRadiance(def)) ?? null };
      this.environments.set(name, entry);
    }
    return entry;
  }

  /** Swap in environment `entry`: its meshes, background, fog and ambient light. */
  private useEnvironment(entry: EnvironmentEntry): void {
    if (this.current === entry) return;
    this.current?.built.group.removeFromParent();
    this.current = entry;
    const { built } = entry;
    this.scene.add(built.group);
    this.scene.background = built.background;
    const fog = built.fog;
    if (fog) this.fog.color.copy(fog.color);
    this.fog.near = fog ? fog.near : NO_FOG.near;
    this.fog.far = fog ? fog.far : NO_FOG.far;
    this.hemi.color.copy(built.ambient.sky);
    this.hemi.groundColor.copy(built.ambient.ground);
    this.hemi.intensity = built.ambient.intensity;
  }

  /** Set the stage for `desc`; returns the built objects (world bounds included). */
  set(desc: SceneDescription): readonly BuiltObject[] {
    this.clearObjects();
    const es = this.environmentEntry(desc.environment);
    this.useEnvironment(es);
    const { scene, sun } = this;
    const env = es.def;
    for (const [slot, o] of desc.objects.entries()) {
      const built = this.library.buildObject(o, slot);
      built.object.traverse((c) => {
        const m = (c as THREE.Mesh).material as THREE.MeshStandardMaterial | undefined;
        if (m && m.isMeshStandardMaterial) {
          m.envMap = es.reflection?.texture ?? null;
          m.envMapIntensity = OBJECT_REFLECTION * env.ambient.intensity;
        }
      });
      scene.add(built.object);
      this.objects.push(built);
    }
    const [w, h] = desc.resolution;
    const cam = this.camera;
    cam.fov = desc.camera.fov;
    cam.aspect = w / h;
    cam.position.set(...cameraPosition(desc.camera));
    cam.lookAt(...desc.camera.target);
    cam.updateProjectionMatrix();
    cam.updateMatrixWorld(true);

    const dir = directionFrom(desc.light.azimuth, desc.light.elevation);
    const t = desc.camera.target;
    const centre = new THREE.Vector3(...t);
    const reach = Math.max(1.2, ...this.objects.map((b) => Math.max(b.bounds.max.distanceTo(centre), b.bounds.min.distanceTo(centre)))) + 0.3;
    sun.position.set(t[0] + dir[0] * 20, t[1] + dir[1] * 20, t[2] + dir[2] * 20);
    sun.target.position.set(...t);
    sun.target.updateMatrixWorld();
    const side = shadowMapSizeFor(desc.resolution, this.shadowMapSize);
    sun.shadow.mapSize.set(side, side);
    const sc = sun.shadow.camera;
    sc.left = -reach; sc.right = reach; sc.top = reach; sc.bottom = -reach;
    sc.near = 20 - reach - 1; sc.far = 20 + reach + 1;
    sc.updateProjectionMatrix();
    const k = kelvinToRgb(desc.light.temperature);
    const tint = env.sun.tint ? toColor(env.sun.tint) : new THREE.Color(1, 1, 1);
    sun.color.setRGB(k[0], k[1], k[2], THREE.SRGBColorSpace).multiply(tint);
    sun.intensity = env.sun.intensity * desc.light.intensity;
    es.built.update(desc, cam);
    return this.objects;
  }

  /** Remove and free the current sample's objects. */
  clearObjects(): void {
    for (const b of this.objects) {
      b.object.removeFromParent();
      b.dispose();
    }
    this.objects = [];
  }

  /** Free everything the stage holds. */
  dispose(): void {
    this.clearObjects();
    this.current?.built.group.removeFromParent();
    this.current = null;
    for (const entry of this.environments.values()) disposeEnvironment(entry);
    this.environments.clear();
  }
}

/** Free one environment's meshes, environment map, background and extras. */
function disposeEnvironment({ built, reflection }: EnvironmentEntry): void {
  reflection?.dispose();
  built.group.traverse((o) => {
    const mesh = o as THREE.Mesh;
    if (mesh.isMesh) {
      mesh.geometry.dispose();
      (mesh.material as THREE.Material).dispose();
    }
  });
  built.dispose();
}
