/**
 * Scene building: a SceneDescription (plain data) becomes three.js objects. Environments are built
 * once and cached; objects are built per sample and disposed after their render.
 */
import * as THREE from 'three';
import type { SceneDescription } from '../spec/sample.js';
import type { AssetLibrary, BuiltObject } from '../assets/library.js';
import { mergeGeometries } from 'three/addons/utils/BufferGeometryUtils.js';
import { environmentDef, backgroundImage, type EnvironmentDef, type EnvSurface, type RoomDef } from '../assets/environments.js';
import { toColor, makeMaterial } from '../assets/materials.js';
import { texturePixels, TEXTURES } from '../assets/textures.js';
import { kelvinToRgb } from '../core/color.js';
import { rngFor } from '../core/random.js';
import { bilinearShadowFilter } from './shadow-filter.js';

const deg = Math.PI / 180;

/** Environment-map (reflection) intensity on objects, per unit of the environment's ambient intensity. */
const OBJECT_REFLECTION = 0.45;
/** Extra hemisphere light standing in for the image-based light that backdrops do not get. */
const BACKDROP_AMBIENT_BOOST = 0.45;

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

/**
 * Draw order of the sky dome: after every opaque surface (order 0), so the depth test skips the dome
 * wherever the ground, a skyline or an object covers it. Drawn first, as skyboxes often are, it cost a
 * shaded full frame under everything on a CPU rasteriser (4-8% of a 224² frame). The dome writes no
 * depth; sky overlays that write none either (stars) come after it.
 */
const SKY_ORDER = 1;
const SKY_OVERLAY_ORDER = 2;

/**
 * Vertex-coloured sky dome from zenith to horizon colour, with the optional glow towards +z (the
 * dome is turned to the sun's azimuth per sample).
 */
function skyDome(env: EnvironmentDef): THREE.Mesh {
  const geo = new THREE.SphereGeometry(90, 32, 16);
  const zenith = toColor(env.sky.zenith);
  const horizon = toColor(env.sky.horizon);
  const glow = env.sky.glow ? toColor(env.sky.glow) : null;
  const pos = geo.attributes.position;
  const colors = new Float32Array(pos.count * 3);
  const c = new THREE.Color();
  for (let i = 0; i < pos.count; i++) {
    const y = pos.getY(i) / 90;
    const t = Math.max(0, y) ** 0.6;
    c.copy(horizon).lerp(zenith, t);
    if (glow) {
      const flat = Math.hypot(pos.getX(i), pos.getZ(i)) || 1;
      const towards = Math.max(0, pos.getZ(i) / flat) ** 3;
      const low = Math.max(0, 1 - Math.max(0, y) / 0.55) ** 2;
      c.lerp(glow, towards * low * 0.85);
    }
    colors.set([c.r, c.g, c.b], i * 3);
  }
  geo.setAttribute('color', new THREE.BufferAttribute(colors, 3));
  const mat = new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.BackSide, fog: false, depthWrite: false });
  const mesh = new THREE.Mesh(geo, mat);
  mesh.renderOrder = SKY_ORDER;
  mesh.userData.labelSky = true; // infinitely far in the depth label
  return mesh;
}

/** Radius of the horizon silhouette ring (inside the sky dome, beyond the fog's far distance). */
const SKYLINE_RADIUS = 75;

/** Heights (degrees above the horizon) of a skyline as [azimuth radians, height] points, seeded by the environment name. */
function skylineProfile(sky: NonNullable<EnvironmentDef['skyline']>, seedName: string): [number, number][] {
  const rng = rngFor(0, 0, `skyline:${seedName}`);
  const H = sky.height;
  const ph = Array.from({ length: 6 }, () => rng.next() * Math.PI * 2);
  const smooth = (a: number) => 0.5 + 0.5 * (0.55 * Math.sin(2 * a + ph[0]) + 0.3 * Math.sin(5 * a + ph[1]) + 0.15 * Math.sin(11 * a + ph[2]));
  const out: [number, number][] = [];
  const TAU = Math.PI * 2;
  if (sky.style === 'city') {
    for (let a = 0; a < TAU;) {
      const w = (0.6 + rng.next() * 2.6) * (Math.PI / 180);
      const gap = rng.next() < 0.12;
      const h = gap ? H * (0.05 + 0.1 * rng.next()) : H * (0.2 + 0.8 * rng.next() ** 1.5) * (0.6 + 0.4 * smooth(a));
      const end = Math.min(TAU, a + w);
      out.push([a, h], [end, h]);
      a = end;
    }
    return out;
  }
  if (sky.style === 'trees') {
    // Overlapping conifer crowns above a canopy line that rolls gently.
    for (let a = 0; a < TAU;) {
      const w = (0.7 + rng.next() * 1.6) * (Math.PI / 180);
      const roll = 0.6 + 0.4 * smooth(a);
      const top = H * roll * (0.55 + 0.45 * rng.next());
      const base = H * roll * 0.45;
      const end = Math.min(TAU, a + w);
      out.push([a, base], [(a + end) / 2, top]);
      a = end;
    }
    out.push([TAU, out[0][1]]);
    return out;
  }
  const n = sky.style === 'mountains' ? 240 : 120;
  for (let i = 0; i <= n; i++) {
    const a = (i / n) * TAU;
    let h: number;
    if (sky.style === 'mountains') {
      let ridge = 0;
      for (let k = 0; k < 3; k++) ridge += (1 - Math.abs(Math.sin((3 * 2 ** k) * a * 0.5 + ph[3 + k]))) / 2 ** k;
      h = H * (0.15 + 0.85 * (ridge / 1.75) ** 2 * (0.5 + 0.5 * smooth(a)));
    } else {
      h = H * (sky.style === 'dunes' ? 0.25 + 0.75 * smooth(a) ** 2 : 0.3 + 0.7 * smooth(a));
    }
    out.push([a, h]);
  }
  return out;
}

/** A silhouette ring on the horizon (distant hills, dunes, mountains, tree line or city). */
function skyline(env: EnvironmentDef): THREE.Mesh | null {
  if (!env.skyline) return null;
  const profile = skylineProfile(env.skyline, env.name);
  const R = SKYLINE_RADIUS;
  const pos: number[] = [];
  for (let i = 0; i + 1 < profile.length; i++) {
    const [a0, h0] = profile[i];
    const [a1, h1] = profile[i + 1];
    const p = (a: number, y: number) => [R * Math.sin(a), y, R * Math.cos(a)];
    const b0 = p(a0, -3); const b1 = p(a1, -3);
    const t0 = p(a0, R * Math.tan(h0 * deg)); const t1 = p(a1, R * Math.tan(h1 * deg));
    pos.push(...b0, ...t1, ...t0, ...b0, ...b1, ...t1);
  }
  const geo = new THREE.BufferGeometry();
  geo.setAttribute('position', new THREE.Float32BufferAttribute(pos, 3));
  const mat = new THREE.MeshBasicMaterial({ color: toColor(env.skyline.color), side: THREE.DoubleSide, fog: false });
  const mesh = new THREE.Mesh(geo, mat);
  mesh.name = 'skyline';
  return mesh;
}

/** The sun or moon disc (faces +z; placed in the light's direction per sample). */
function skyDisc(env: EnvironmentDef): THREE.Mesh | null {
  if (!env.sky.disc) return null;
  const r = 85 * Math.tan((env.sky.disc.size / 2) * deg);
  const mesh = new THREE.Mesh(new THREE.CircleGeometry(r, 24), new THREE.MeshBasicMaterial({ color: toColor(env.sky.disc.color), fog: false }));
  mesh.name = 'sky-disc';
  mesh.userData.labelSky = true;
  return mesh;
}

/** Stars: tiny quads (a pixel or two at usual resolutions) scattered over the upper sky, one mesh. */
function stars(env: EnvironmentDef): THREE.Mesh | null {
  const n = env.sky.stars ?? 0;
  if (n <= 0) return null;
  const rng = rngFor(0, 0, `stars:${env.name}`);
  const pos = new Float32Array(n * 18);
  const col = new Float32Array(n * 18);
  const centre = new THREE.Vector3();
  const u = new THREE.Vector3();
  const v = new THREE.Vector3();
  const up = new THREE.Vector3(0, 1, 0);
  for (let i = 0; i < n; i++) {
    const el = Math.asin(0.06 + 0.94 * rng.next());
    const az = rng.next() * Math.PI * 2;
    centre.set(...directionFrom(az / deg, el / deg)).multiplyScalar(85);
    const size = 0.16 + 0.22 * rng.next() ** 2;
    u.crossVectors(centre, up).normalize().multiplyScalar(size);
    v.crossVectors(u, centre).normalize().multiplyScalar(size);
    const corner = (a: number, b: number) => [centre.x + u.x * a + v.x * b, centre.y + u.y * a + v.y * b, centre.z + u.z * a + v.z * b];
    pos.set([...corner(-1, -1), ...corner(1, -1), ...corner(1, 1), ...corner(-1, -1), ...corner(1, 1), ...corner(-1, 1)], i * 18);
    const b = 0.35 + 0.65 * rng.next() ** 2;
    for (let k = 0; k < 6; k++) col.set([b * 0.94, b * 0.96, b], i * 18 + k * 3);
  }
  const geo = new THREE.BufferGeometry();
  geo.setAttribute('position', new THREE.BufferAttribute(pos, 3));
  geo.setAttribute('color', new THREE.BufferAttribute(col, 3));
  const mesh = new THREE.Mesh(geo, new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.DoubleSide, fog: false, depthWrite: false }));
  mesh.name = 'stars';
  mesh.renderOrder = SKY_OVERLAY_ORDER;
  mesh.userData.labelSky = true; // part of the sky in label passes
  return mesh;
}

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

/** A plane's UVs scaled so the texture repeats every `repeat` units over a `w` x `h` face (`stretch` times that along h). */
function tiledPlane(w: number, h: number, repeat: number | undefined, stretch = 1): THREE.PlaneGeometry {
  const geo = new THREE.PlaneGeometry(w, h);
  const uv = geo.attributes.uv;
  const r = repeat ?? 1;
  for (let i = 0; i < uv.count; i++) uv.setXY(i, (uv.getX(i) * w) / r, (uv.getY(i) * h) / (r * stretch));
  return geo;
}

/** A tiny window texture: the sky seen through it (zenith to horizon, then a garden band) and a white frame. */
function windowTexture(env: EnvironmentDef): THREE.DataTexture {
  const s = 32;
  const data = new Uint8Array(s * s * 4);
  const zenith = toColor(env.sky.zenith);
  const horizon = toColor(env.sky.horizon);
  const garden = new THREE.Color().setRGB(0.16, 0.26, 0.1);
  const frame = new THREE.Color().setRGB(0.92, 0.92, 0.9);
  const c = new THREE.Color();
  const srgb = { r: 0, g: 0, b: 0 };
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const v = 1 - (y + 0.5) / s; // 1 at the top row
      const bar = x < 2 || x >= s - 2 || y < 2 || y >= s - 2 || Math.abs(x - s / 2 + 0.5) < 1 || Math.abs(y - s / 2 + 0.5) < 1;
      if (bar) c.copy(frame);
      else if (v > 0.3) c.copy(horizon).lerp(zenith, (v - 0.3) / 0.7);
      else c.copy(garden).lerp(horizon, v / 0.3 * 0.4);
      c.getRGB(srgb, THREE.SRGBColorSpace);
      data.set([srgb.r * 255, srgb.g * 255, srgb.b * 255, 255].map((k) => Math.round(Math.min(255, Math.max(0, k)))), (y * s + x) * 4);
    }
  }
  const tex = new THREE.DataTexture(data, s, s, THREE.RGBAFormat);
  tex.colorSpace = THREE.SRGBColorSpace;
  tex.magFilter = THREE.LinearFilter;
  tex.minFilter = THREE.LinearFilter;
  tex.flipY = false;
  tex.needsUpdate = true;
  return tex;
}

/**
 * An indoor room around the stage: floor (receives shadows), four walls and a ceiling facing
 * inwards, windows, skirting and a ceiling lamp, merged into six meshes at most.
 */
function buildRoom(env: EnvironmentDef, room: RoomDef): { group: THREE.Group; dispose(): void } {
  const [w, h, d] = room.size;
  const group = new THREE.Group();
  group.name = 'room';
  const floor = new THREE.Mesh(tiledPlane(w, d, room.floor.repeat, room.floor.stretch), makeMaterial({ ...room.floor, repeat: 1, roughness: 0.75 }));
  floor.rotation.x = -Math.PI / 2;
  floor.receiveShadow = true;
  const ceiling = new THREE.Mesh(new THREE.PlaneGeometry(w, d), makeMaterial({ color: room.ceiling.color, roughness: 0.95 }));
  ceiling.rotation.x = Math.PI / 2;
  ceiling.position.y = h;
  // Wall k: where it stands and how it turns to face the room (0: -z, 1: +x, 2: +z, 3: -x).
  const walls = [0, 1, 2, 3].map((k) => {
    const m = new THREE.Matrix4().makeRotationY([0, -Math.PI / 2, Math.PI, Math.PI / 2][k]);
    m.setPosition(k === 1 ? w / 2 : k === 3 ? -w / 2 : 0, 0, k === 0 ? -d / 2 : k === 2 ? d / 2 : 0);
    return { m, span: k % 2 === 0 ? w : d };
  });
  const place = (geo: THREE.BufferGeometry, k: number, x: number, y: number, inset: number) => {
    geo.translate(x, y, inset);
    return geo.applyMatrix4(walls[k].m);
  };
  const wallGeo = mergeGeometries(walls.map((wall, k) => place(tiledPlane(wall.span, h, room.walls.repeat), k, 0, h / 2, 0)));
  const wallMesh = new THREE.Mesh(wallGeo, makeMaterial({ ...room.walls, repeat: 1, roughness: 0.9 }));
  group.add(floor, ceiling, wallMesh);
  const disposables: { dispose(): void }[] = [];
  if (room.windows?.length) {
    const geos = room.windows.map((win) => place(new THREE.PlaneGeometry(win.width, win.height), win.wall, win.x, win.y + win.height / 2, 0.02));
    const tex = windowTexture(env);
    disposables.push(tex);
    group.add(new THREE.Mesh(mergeGeometries(geos), new THREE.MeshBasicMaterial({ map: tex, fog: false })));
  }
  if (room.skirting) {
    const geos = walls.map((wall, k) => place(new THREE.PlaneGeometry(wall.span, 0.14), k, 0, 0.07, 0.015));
    group.add(new THREE.Mesh(mergeGeometries(geos), makeMaterial({ color: room.skirting, roughness: 0.5 })));
  }
  if (room.lamp) {
    const lamp = new THREE.Mesh(new THREE.CircleGeometry(0.45, 24), new THREE.MeshBasicMaterial({ color: toColor(room.lamp), fog: false }));
    lamp.rotation.x = Math.PI / 2;
    lamp.position.y = h - 0.02;
    group.add(lamp);
  }
  return { group, dispose: () => disposables.forEach((x) => x.dispose()) };
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

/**
 * A small equirectangular radiance map of the environment (sky gradient above, ground below), used as
 * scene.environment so metals and glossy surfaces reflect their surroundings.
 */
function environmentMap(env: EnvironmentDef): THREE.DataTexture {
  const w = 64;
  const h = 32;
  const data = new Uint8Array(w * h * 4);
  const srgb = { r: 0, g: 0, b: 0 };
  // Indoors the surroundings are ceiling, walls and floor (as lit, roughly); outdoors sky and ground.
  const room = env.room;
  const zenith = room ? toColor(room.ceiling.color).multiplyScalar(0.75) : toColor(env.sky.zenith);
  const horizon = room ? surfaceMean(room.walls).multiplyScalar(0.85) : toColor(env.sky.horizon);
  const ground = room ? surfaceMean(room.floor).multiplyScalar(0.6)
    : env.ground ? surfaceMean(env.ground).multiplyScalar(env.ground.shadowCatcher ? 1 : 0.5) : toColor(env.sky.horizon);
  const band = env.skyline ? toColor(env.skyline.color) : null;
  const c = new THREE.Color();
  for (let y = 0; y < h; y++) {
    const el = 90 - ((y + 0.5) / h) * 180;
    if (el >= 0) c.copy(horizon).lerp(zenith, (el / 90) ** 0.6);
    else c.copy(ground).lerp(horizon, Math.max(0, 1 + el / 10) * 0.5);
    if (band && el >= 0 && el < env.skyline!.height) c.lerp(band, 0.6);
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

/** The cached three.js objects of one environment, what the scene shows behind them, and the per-sample fix-ups. */
interface BuiltEnvironment {
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
function buildEnvironment(env: EnvironmentDef): BuiltEnvironment {
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
  /** Reflection map given to object materials. */
  envMap: THREE.Texture;
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
   * with bilinearShadowFilter (the renderer's `soft` mode, PCF shadow type).
   */
  constructor(private readonly library: AssetLibrary, private readonly shadowMapSize = 512, softShadows = false) {
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
      entry = { def, built: buildEnvironment(def), envMap: environmentMap(def) };
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
          m.envMap = es.envMap;
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
function disposeEnvironment({ built, envMap }: EnvironmentEntry): void {
  envMap.dispose();
  built.group.traverse((o) => {
    const mesh = o as THREE.Mesh;
    if (mesh.isMesh) {
      mesh.geometry.dispose();
      (mesh.material as THREE.Material).dispose();
    }
  });
  built.dispose();
}
