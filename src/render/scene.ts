/**
 * Scene building: a SceneDescription (plain data) becomes three.js objects. Environments are built
 * once and cached; objects are built per sample and disposed after their render.
 */
import * as THREE from 'three';
import type { SceneDescription } from '../spec/sample.js';
import type { AssetLibrary, BuiltObject } from '../assets/library.js';
import { environmentDef, type EnvironmentDef } from '../assets/environments.js';
import { toColor, makeMaterial } from '../assets/materials.js';
import { kelvinToRgb } from '../core/color.js';

const deg = Math.PI / 180;

/** Unit vector pointing from the origin towards azimuth/elevation (azimuth 0 = +z, 90 = +x). */
export function directionFrom(azimuthDeg: number, elevationDeg: number): [number, number, number] {
  const az = azimuthDeg * deg;
  const el = elevationDeg * deg;
  return [Math.cos(el) * Math.sin(az), Math.sin(el), Math.cos(el) * Math.cos(az)];
}

/** Camera position for a description (pure). */
export function cameraPosition(camera: SceneDescription['camera']): [number, number, number] {
  const d = directionFrom(camera.azimuth, camera.elevation);
  return [camera.target[0] + d[0] * camera.distance, camera.target[1] + d[1] * camera.distance, camera.target[2] + d[2] * camera.distance];
}

/** Vertex-coloured sky dome from zenith to horizon colour. */
function skyDome(env: EnvironmentDef): THREE.Mesh {
  const geo = new THREE.SphereGeometry(90, 32, 16);
  const zenith = toColor(env.sky.zenith);
  const horizon = toColor(env.sky.horizon);
  const pos = geo.attributes.position;
  const colors = new Float32Array(pos.count * 3);
  const c = new THREE.Color();
  for (let i = 0; i < pos.count; i++) {
    const t = Math.max(0, pos.getY(i) / 90) ** 0.6;
    c.copy(horizon).lerp(zenith, t);
    colors.set([c.r, c.g, c.b], i * 3);
  }
  geo.setAttribute('color', new THREE.BufferAttribute(colors, 3));
  const mat = new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.BackSide, fog: false, depthWrite: false });
  const mesh = new THREE.Mesh(geo, mat);
  mesh.renderOrder = -1;
  return mesh;
}

/**
 * A small equirectangular radiance map of the environment (sky gradient above, ground below), used as
 * scene.environment so metals and glossy surfaces reflect their surroundings.
 */
function environmentMap(env: EnvironmentDef): THREE.DataTexture {
  const w = 64;
  const h = 32;
  const data = new Uint8Array(w * h * 4);
  const srgb = { r: 0, g: 0, b: 0 };
  const zenith = toColor(env.sky.zenith);
  const horizon = toColor(env.sky.horizon);
  const ground = toColor(env.ground?.color ?? env.sky.horizon).multiplyScalar(env.ground ? 0.5 : 1);
  const c = new THREE.Color();
  for (let y = 0; y < h; y++) {
    const el = 90 - ((y + 0.5) / h) * 180;
    if (el >= 0) c.copy(horizon).lerp(zenith, (el / 90) ** 0.6);
    else c.copy(ground).lerp(horizon, Math.max(0, 1 + el / 10) * 0.5);
    c.getRGB(srgb, THREE.SRGBColorSpace);
    const px = [srgb.r, srgb.g, srgb.b].map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    for (let x = 0; x < w; x++) data.set([px[0], px[1], px[2], 255], (y * w + x) * 4);
  }
  const tex = new THREE.DataTexture(data, w, h, THREE.RGBAFormat);
  tex.mapping = THREE.EquirectangularReflectionMapping;
  tex.colorSpace = THREE.SRGBColorSpace;
  tex.magFilter = THREE.LinearFilter;
  tex.flipY = true;
  tex.needsUpdate = true;
  return tex;
}

/** The cached three.js objects of one environment. */
function buildEnvironment(env: EnvironmentDef): THREE.Group {
  const group = new THREE.Group();
  group.name = `environment:${env.name}`;
  group.add(skyDome(env));
  if (env.ground) {
    const mat = makeMaterial({ color: env.ground.color, roughness: 0.95, texture: env.ground.texture, repeat: env.ground.repeat ?? 16 });
    const ground = new THREE.Mesh(new THREE.PlaneGeometry(160, 160), mat);
    ground.rotation.x = -Math.PI / 2;
    ground.receiveShadow = true;
    group.add(ground);
  }
  const hemi = new THREE.HemisphereLight(toColor(env.ambient.sky), toColor(env.ambient.ground), env.ambient.intensity);
  group.add(hemi);
  return group;
}

/** One environment's own scene: backdrop, ambient light, environment map and sun. */
interface EnvironmentScene {
  scene: THREE.Scene;
  sun: THREE.DirectionalLight;
  def: EnvironmentDef;
}

/**
 * A reusable stage: one three.js scene per environment (built on first use and kept, so the
 * renderer's per-scene state stays warm), one camera, objects swapped per sample.
 * Not thread-safe: one sample at a time.
 */
export class Stage {
  readonly camera = new THREE.PerspectiveCamera(40, 1, 0.05, 400);
  private readonly environments = new Map<string, EnvironmentScene>();
  private current: EnvironmentScene | null = null;
  private objects: BuiltObject[] = [];

  constructor(private readonly library: AssetLibrary, private readonly shadowMapSize = 512) {}

  /** The scene of the current sample (valid after set()). */
  get scene(): THREE.Scene {
    if (!this.current) throw new Error('Stage.scene: call set() first');
    return this.current.scene;
  }

  private environmentScene(name: string): EnvironmentScene {
    let es = this.environments.get(name);
    if (!es) {
      const def = environmentDef(name);
      const scene = new THREE.Scene();
      scene.add(buildEnvironment(def));
      scene.environment = environmentMap(def);
      scene.environmentIntensity = def.ambient.intensity * 0.6;
      const sun = new THREE.DirectionalLight(0xffffff, 1);
      sun.castShadow = true;
      sun.shadow.mapSize.set(this.shadowMapSize, this.shadowMapSize);
      sun.shadow.bias = -0.001;
      sun.shadow.normalBias = 0.03;
      scene.add(sun, sun.target);
      es = { scene, sun, def };
      this.environments.set(name, es);
    }
    return es;
  }

  /** Set the stage for `desc`; returns the built objects (world bounds included). */
  set(desc: SceneDescription): readonly BuiltObject[] {
    this.clearObjects();
    const es = this.environmentScene(desc.environment);
    this.current = es;
    const { scene, sun, def: env } = es;
    for (const [slot, o] of desc.objects.entries()) {
      const built = this.library.buildObject(o, slot);
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
    const sc = sun.shadow.camera;
    sc.left = -reach; sc.right = reach; sc.top = reach; sc.bottom = -reach;
    sc.near = 20 - reach - 1; sc.far = 20 + reach + 1;
    sc.updateProjectionMatrix();
    const k = kelvinToRgb(desc.light.temperature);
    const tint = env.sun.tint ? toColor(env.sun.tint) : new THREE.Color(1, 1, 1);
    sun.color.setRGB(k[0], k[1], k[2], THREE.SRGBColorSpace).multiply(tint);
    sun.intensity = env.sun.intensity * desc.light.intensity;
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
    for (const { scene } of this.environments.values()) {
      scene.environment?.dispose();
      scene.traverse((o) => {
        const mesh = o as THREE.Mesh;
        if (mesh.isMesh) {
          mesh.geometry.dispose();
          (mesh.material as THREE.Material).dispose();
        }
      });
    }
    this.environments.clear();
  }
}
