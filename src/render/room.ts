/**
 * The indoor backdrop of an environment: floor, walls, ceiling, windows, skirting and a lamp around
 * the stage, merged into a few meshes.
 */
import * as THREE from 'three';
import { mergeGeometries } from 'three/addons/utils/BufferGeometryUtils.js';
import type { EnvironmentDef, RoomDef } from '../assets/environments.js';
import { toColor, makeMaterial } from '../assets/materials.js';

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
export function buildRoom(env: EnvironmentDef, room: RoomDef): { group: THREE.Group; dispose(): void } {
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
