/**
 * Spatial relations between the objects of a scene, in CLEVR's convention: directions come from the
 * camera, projected onto the ground plane; `relations.left[i]` lists the objects left of object i.
 */
import type { SceneDescription } from '../spec/sample.js';

/** The four CLEVR relations. */
export type Relation = 'left' | 'right' | 'front' | 'behind';

/** For each relation, for each object i, the indices j of objects in that relation to i. */
export type Relations = Record<Relation, number[][]>;

/** CLEVR's threshold: an offset smaller than this along a direction is no relation. */
export const RELATION_EPSILON = 0.2;

/** Ground-plane unit vectors (x, z) for left and behind as seen from a camera at `azimuthDeg`. */
export function cameraDirections(azimuthDeg: number): { left: [number, number]; behind: [number, number] } {
  const az = (azimuthDeg * Math.PI) / 180;
  const forward: [number, number] = [-Math.sin(az), -Math.cos(az)];
  return { left: [-Math.cos(az), Math.sin(az)], behind: forward };
}

/** Relations of every object pair of a scene description (pure). */
export function computeRelations(desc: Pick<SceneDescription, 'objects' | 'camera'>, eps = RELATION_EPSILON): Relations {
  const { left, behind } = cameraDirections(desc.camera.azimuth);
  const n = desc.objects.length;
  const out: Relations = { left: [], right: [], front: [], behind: [] };
  for (let i = 0; i < n; i++) {
    for (const r of Object.keys(out) as Relation[]) out[r].push([]);
    const [xi, , zi] = desc.objects[i].position;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const [xj, , zj] = desc.objects[j].position;
      const dx = xj - xi;
      const dz = zj - zi;
      const l = dx * left[0] + dz * left[1];
      const b = dx * behind[0] + dz * behind[1];
      if (l > eps) out.left[i].push(j);
      if (l < -eps) out.right[i].push(j);
      if (b > eps) out.behind[i].push(j);
      if (b < -eps) out.front[i].push(j);
    }
  }
  return out;
}

/** The dominant relation of object a to object b ("a is <rel> b"), or null when too close to call. */
export function dominantRelation(desc: Pick<SceneDescription, 'objects' | 'camera'>, a: number, b: number): Relation | null {
  const { left, behind } = cameraDirections(desc.camera.azimuth);
  const dx = desc.objects[a].position[0] - desc.objects[b].position[0];
  const dz = desc.objects[a].position[2] - desc.objects[b].position[2];
  const l = dx * left[0] + dz * left[1];
  const bh = dx * behind[0] + dz * behind[1];
  if (Math.max(Math.abs(l), Math.abs(bh)) <= RELATION_EPSILON) return null;
  if (Math.abs(l) >= Math.abs(bh)) return l > 0 ? 'left' : 'right';
  return bh > 0 ? 'behind' : 'front';
}
