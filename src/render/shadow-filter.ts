/**
 * The soft-shadow filter for CPU rasterisers: one depth-compare tap, hardware-filtered (the PCF shadow
 * type turns on linear compare filtering), which blends the four nearest texels' comparisons: edges
 * ramp over about a texel, and the renderer sizes the sun's map at about one texel per image pixel
 * (shadowMapSizeFor in stage.ts). three's own soft filter takes five taps on a rotated Vogel disk with
 * per-pixel noise (a sine, cosine and square root per tap): on llvmpipe it cost about a third of a 224²
 * frame. Four such taps at (±1, ±1) texels on a map of two texels per pixel, the filter before this one,
 * drew about as soft an edge for 19% more CPU per 224² frame (measured; see the README's "How fast").
 */
import { Fn, texture } from 'three/tsl';
import type * as THREE from 'three';
import type { Node } from 'three/webgpu';

/** The filter node for `light.shadow.filterNode` (used with `THREE.PCFShadowMap`). */
export const bilinearShadowFilter = Fn(({ depthTexture, shadowCoord }: { depthTexture: THREE.DepthTexture; shadowCoord: Node<'vec3'> }) =>
  texture(depthTexture, shadowCoord.xy).compare(shadowCoord.z));
