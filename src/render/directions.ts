/**
 * Directions on the stage as plain numbers: where a camera or the sun stands, given azimuth and
 * elevation in degrees (azimuth 0 = +z, 90 = +x).
 */
import type { SceneDescription } from '../spec/sample.js';

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
