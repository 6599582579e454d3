/**
 * The outdoor backdrop of an environment: a vertex-coloured sky dome, a skyline silhouette on the
 * horizon, the sun or moon disc and stars, each one mesh built once per environment.
 */
import * as THREE from 'three';
import type { EnvironmentDef } from '../assets/environments.js';
import { toColor } from '../assets/materials.js';
import { rngFor } from '../core/random.js';
import { directionFrom } from './directions.js';

const deg = Math.PI / 180;

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
export function skyDome(env: EnvironmentDef): THREE.Mesh {
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
export function skyline(env: EnvironmentDef): THREE.Mesh | null {
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
export function skyDisc(env: EnvironmentDef): THREE.Mesh | null {
  if (!env.sky.disc) return null;
  const r = 85 * Math.tan((env.sky.disc.size / 2) * deg);
  const mesh = new THREE.Mesh(new THREE.CircleGeometry(r, 24), new THREE.MeshBasicMaterial({ color: toColor(env.sky.disc.color), fog: false }));
  mesh.name = 'sky-disc';
  mesh.userData.labelSky = true;
  return mesh;
}

/** Stars: tiny quads (a pixel or two at usual resolutions) scattered over the upper sky, one mesh. */
export function stars(env: EnvironmentDef): THREE.Mesh | null {
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
