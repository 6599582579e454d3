/**
 * An environment as three.js objects: its backdrop (sky or room or image, and ground), fog, ambient
 * light and reflection map, built once per environment and fixed up per sample (sun direction, room
 * size around the camera, image crop).
 */
import * as THREE from 'three';
import type { SceneDescription } from '../spec/sample.js';
import { backgroundImage, type EnvironmentDef, type EnvSurface } from '../assets/environments.js';
import { toColor, makeMaterial } from '../assets/materials.js';
import { texturePixels, TEXTURES } from '../assets/textures.js';
import { directionFrom } from './directions.js';
import { skyDisc, skyDome, skyline, stars } from './sky.js';
import { buildRoom } from './room.js';

const deg = Math.PI / 180;

/** Extra hemisphere light standing in for the image-based light that backdrops do not get. */
const BACKDROP_AMBIENT_BOOST = 0.45;

const textureMeans = new Map<string, THREE.Color>();

/** Mean linear colour of a surface: its colour times the mean of its texture (for env maps). */
function surfaceMean(s: EnvSurface): THREE.Color {
  const c = toColor(s.color);
  if (!s.texture || !TEXTURES.some((t) => t.name === s.texture)) return c;
  let mean = textureMeans.get(s.texture);
  if (!mean) {
    const px = texturePixels(s.texture, 32);
    const sum = [0, 0, 0];
    const lin = new THREE.Color();
    for (let i = 0; i < px.length; i += 4) {
      lin.setRGB(px[i] / 255, px[i + 1] / 255, px[i + 2] / 255, THREE.SRGBColorSpace);
      sum[0] += lin.r; sum[1] += lin.g; sum[2] += lin.b;
    }
    const n = px.length / 4;
    mean = new THREE.Color(sum[0] / n, sum[1] / n, sum[2] / n);
    textureMeans.set(s.texture, mean);
  }
  return c.multiply(mean);
}

/** A user image as a screen-filling background texture (cropped to cover the frame per sample). */
function imageTexture(name: string): THREE.DataTexture {
  const img = backgroundImage(name);
  if (!img) throw new RangeError(`environment image:${name}: no background image registered under that name`);
  const tex = new THREE.DataTexture(img.rgba, img.width, img.height, THREE.RGBAFormat);
  tex.colorSpace = THREE.SRGBColorSpace;
  tex.magFilter = THREE.LinearFilter;
  tex.minFilter = THREE.LinearMipmapLinearFilter;
  tex.generateMipmaps = true;
  tex.flipY = false;
  tex.needsUpdate = true;
  return tex;
}

/** Elevation rows of environmentRadiance. */
export const RADIANCE_ROWS = 64;

/**
 * The environment's radiance by elevation, as metals and glossy surfaces reflect it (sky gradient
 * above, ground below; indoors ceiling, walls and floor as lit, roughly): linear RGB, `rows` × 3 values
 * from +90 to -90 degrees (row i at 90 - (i + 0.5) / rows * 180), each channel clamped to [0, 1]. The
 * reflection maps are prefiltered from it (render/reflections.ts). Pure.
 */
export function environmentRadiance(env: EnvironmentDef, rows = RADIANCE_ROWS): Float32Array {
  const out = new Float32Array(rows * 3);
  const room = env.room;
  const zenith = room ? toColor(room.ceiling.color).multiplyScalar(0.75) : toColor(env.sky.zenith);
  const horizon = room ? surfaceMean(room.walls).multiplyScalar(0.85) : toColor(env.sky.horizon);
  const ground = room ? surfaceMean(room.floor).multiplyScalar(0.6)
    : env.ground ? surfaceMean(env.ground).multiplyScalar(env.ground.shadowCatcher ? 1 : 0.5) : toColor(env.sky.horizon);
  const band = env.skyline ? toColor(env.skyline.color) : null;
  const c = new THREE.Color();
  for (let y = 0; y < rows; y++) {
    const el = 90 - ((y + 0.5) / rows) * 180;
    if (el >= 0) c.copy(horizon).lerp(zenith, (el / 90) ** 0.6);
    else c.copy(ground).lerp(horizon, Math.max(0, 1 + el / 10) * 0.5);
    if (band && el >= 0 && el < env.skyline!.height) c.lerp(band, 0.6);
    out[y * 3] = Math.min(1, Math.max(0, c.r));
    out[y * 3 + 1] = Math.min(1, Math.max(0, c.g));
    out[y * 3 + 2] = Math.min(1, Math.max(0, c.b));
  }
  return out;
}

/** The cached three.js objects of one environment, what the scene shows behind them, and the per-sample fix-ups. */
export interface BuiltEnvironment {
  group: THREE.Group;
  /**
   * An image background, or null where the environment's own meshes fill the frame (sky dome, or a
   * room that encloses the camera). Never a plain colour: the renderer encodes colour inside the
   * materials (see renderer.ts), so a clear colour would reach the image unencoded.
   */
  background: THREE.Texture | null;
  /** Linear fog (colour, near, far), or null for none. */
  fog: { color: THREE.Color; near: number; far: number } | null;
  /** The hemisphere light's sky and ground colours and intensity. */
  ambient: { sky: THREE.Color; ground: THREE.Color; intensity: number };
  /** Per sample: turn the sky to the sun, place the sun disc, keep the camera inside a room, crop an image to the frame. */
  update(desc: SceneDescription, camera: THREE.PerspectiveCamera): void;
  /** Free what scene traversal does not reach (textures, points). */
  dispose(): void;
}

/** The cached three.js objects of one environment. */
export function buildEnvironment(env: EnvironmentDef): BuiltEnvironment {
  const group = new THREE.Group();
  group.name = `environment:${env.name}`;
  const updates: ((desc: SceneDescription, camera: THREE.PerspectiveCamera) => void)[] = [];
  const disposables: { dispose(): void }[] = [];
  let background: BuiltEnvironment['background'] = null;
  if (env.image) {
    // The image fills the frame (cropped to cover it); a shadow catcher stands in for the ground.
    const img = backgroundImage(env.image)!;
    const tex = imageTexture(env.image);
    disposables.push(tex);
    background = tex;
    updates.push((desc) => {
      const aspect = desc.resolution[0] / desc.resolution[1];
      const imgAspect = img.width / img.height;
      const sx = aspect < imgAspect ? aspect / imgAspect : 1;
      const sy = aspect > imgAspect ? imgAspect / aspect : 1;
      // Rows are stored top-down: flip v so the image's first row is at the top of the frame.
      tex.repeat.set(sx, -sy);
      tex.offset.set((1 - sx) / 2, (1 + sy) / 2);
      tex.updateMatrix();
    });
  } else if (env.room) {
    const room = buildRoom(env, env.room);
    group.add(room.group);
    disposables.push(room);
    // Grow the room when the camera would leave it (far or high cameras), so no outside ever shows.
    const [w, h, d] = env.room.size;
    updates.push((_desc, camera) => {
      const p = camera.position;
      const s = Math.max(1, Math.abs(p.x) / (w / 2 - 0.3), Math.abs(p.z) / (d / 2 - 0.3), p.y / (h - 0.3));
      room.group.scale.setScalar(s);
    });
  } else {
    const dome = skyDome(env);
    group.add(dome);
    for (const extra of [skyline(env), stars(env)]) if (extra) group.add(extra);
    if (env.sky.glow) updates.push((desc) => { dome.rotation.y = desc.light.azimuth * deg; });
    const disc = skyDisc(env);
    if (disc) {
      group.add(disc);
      updates.push((desc) => {
        const dir = directionFrom(desc.light.azimuth, desc.light.elevation);
        disc.position.set(dir[0] * 85, dir[1] * 85, dir[2] * 85);
        disc.lookAt(0, 0, 0);
      });
    }
  }
  if (env.ground && !env.room) {
    if (env.ground.shadowCatcher) {
      const ground = new THREE.Mesh(new THREE.PlaneGeometry(160, 160), new THREE.ShadowMaterial({ opacity: 0.45, fog: false }));
      ground.rotation.x = -Math.PI / 2;
      ground.receiveShadow = true;
      group.add(ground);
    } else {
      const mat = makeMaterial({ color: env.ground.color, roughness: 0.95, texture: env.ground.texture, repeat: env.ground.repeat ?? 16 });
      const ground = new THREE.Mesh(new THREE.PlaneGeometry(160, 160), mat);
      ground.rotation.x = -Math.PI / 2;
      ground.receiveShadow = true;
      group.add(ground);
    }
  }
  const ambient = { sky: toColor(env.ambient.sky), ground: toColor(env.ambient.ground), intensity: env.ambient.intensity * (1 + BACKDROP_AMBIENT_BOOST) };
  const fog = env.fog && !env.room && !env.image ? { color: toColor(env.sky.horizon), near: env.fog.near, far: env.fog.far } : null;
  return {
    group, background, fog, ambient,
    update: (desc, camera) => { for (const u of updates) u(desc, camera); },
    dispose: () => { for (const x of disposables) x.dispose(); },
  };
}
