/**
 * A soft-shadow filter for CPU rasterisers: four depth-compare taps at (±1, ±1) texels, each a
 * hardware-filtered 2×2 comparison (the PCF shadow type turns on linear compare filtering), which
 * averages a 4×4 texel footprint with tent weights. three's own PCF filter takes five taps on a
 * rotated Vogel disk with per-pixel noise (a sine, cosine and square root per tap): on llvmpipe that
 * filter alone cost about a third of a 224² frame; this one costs about as much as hard shadows.
 */
import { Fn, add, reference, renderGroup, texture, vec2 } from 'three/tsl';
import type * as THREE from 'three';

/** The filter node for `light.shadow.filterNode` (used with `THREE.PCFShadowMap`). */
export const fourTapShadowFilter = Fn(({ depthTexture, shadowCoord, shadow }: { depthTexture: THREE.DepthTexture; shadowCoord: any; shadow: THREE.LightShadow }) => {
  const mapSize = reference('mapSize', 'vec2', shadow).setGroup(renderGroup);
  const radius = reference('radius', 'float', shadow).setGroup(renderGroup);
  const step = vec2(1).div(mapSize).mul(radius);
  const tap = (dx: number, dy: number) => texture(depthTexture, shadowCoord.xy.add(step.mul(vec2(dx, dy)))).compare(shadowCoord.z);
  return add(tap(-1, -1), tap(1, -1), tap(-1, 1), tap(1, 1)).mul(0.25);
});
