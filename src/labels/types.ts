/**
 * Dense labels of one rendered sample, as plain typed arrays and numbers. The renderer fills what a
 * spec's `labels` asks for; writers turn it into files (masks as PNG, depth as 16-bit PNG or .npy,
 * boxes and poses in JSON and COCO).
 */

/** Per-object labels. Instance ids are 1-based (0 is background) and follow the scene's object order. */
export interface ObjectLabel {
  /** 1-based instance id: the value of this object's pixels in the instance mask. */
  instance: number;
  class: string;
  /** Class index in the spec's `classes` (the training label). */
  label: number;
  /** Tight box [x, y, width, height] in pixels around the visible pixels; null when not visible. */
  bbox: [number, number, number, number] | null;
  /** Visible pixels. */
  area: number;
  /** Visible pixels over the pixels the object would cover with nothing in front of it (0..1). */
  visibility: number;
  /** Object-to-world matrix, column-major 4x4 (three.js / OpenGL convention). */
  objectToWorld: number[];
}

/** Camera labels: pinhole intrinsics in pixels and extrinsics as column-major 4x4 matrices. */
export interface CameraLabel {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** World-to-camera (view) matrix; camera looks down -z, y up (OpenGL convention). */
  worldToCamera: number[];
  cameraToWorld: number[];
  near: number;
  far: number;
}

/** Everything the label passes produced for one image (width x height, rows top-down). */
export interface LabelSet {
  width: number;
  height: number;
  /** Instance ids per pixel (0 background, k = objects[k-1]); present with `segmentation`. */
  instanceMask?: Uint8Array;
  /** Class index + 1 per pixel (0 background); present with `segmentation`. */
  semanticMask?: Uint8Array;
  /** Distance along the camera's viewing axis in scene units (Infinity for background); with `depth`. */
  depth?: Float32Array;
  /** Camera-space normals encoded as RGB8 ((n + 1) / 2 * 255); with `normals`. */
  normals?: Uint8Array;
  objects: ObjectLabel[];
  camera: CameraLabel;
}
