/**
 * Environments as plain data: sky gradient, ground (or an indoor room, or a user image), and the
 * lights that match them. Scene building in render/ turns one into three.js objects.
 *
 * User images become environments named `image:<name>` once registered with
 * registerBackgroundImage (assets/backgrounds.ts loads them from files for a spec's `backgrounds`).
 */

/** A surface: sRGB colour multiplied with an optional procedural texture (a TEXTURES name). */
export interface EnvSurface {
  color: string;
  texture?: string;
  /** Outdoor ground: texture repeats across the 160-unit ground plane. Rooms: metres per texture repeat. */
  repeat?: number;
  /** Rooms: the texture is stretched this many times along the floor's depth (wood grain into long planks). */
  stretch?: number;
}

/** Shape of the distant silhouette ring around the horizon. */
export type SkylineStyle = 'hills' | 'mountains' | 'dunes' | 'trees' | 'city';

/** A simple indoor room around the stage: floor, four walls, ceiling, windows, a ceiling lamp. */
export interface RoomDef {
  /** [width (x), height (y), depth (z)] in units; the stage centre is the floor centre. */
  size: [number, number, number];
  floor: EnvSurface;
  walls: EnvSurface;
  ceiling: { color: string };
  /** Windows: a daylight patch on a wall (0: -z, 1: +x, 2: +z, 3: -x), `x` along the wall from its centre, sill height `y`. */
  windows?: { wall: 0 | 1 | 2 | 3; x: number; y: number; width: number; height: number }[];
  /** Colour of a glowing ceiling lamp disc (the key light's visible source). */
  lamp?: string;
  /** Colour of a skirting board strip along the walls' foot. */
  skirting?: string;
}

/** One environment. Colours are sRGB hex. */
export interface EnvironmentDef {
  name: string;
  doc: string;
  /**
   * Sky colours from zenith to horizon; `glow` brightens the horizon towards the sun; `disc` draws the
   * sun or moon (size in degrees) in the light's direction; `stars` scatters that many stars.
   * In a room this is the daylight seen through the windows.
   */
  sky: { zenith: string; horizon: string; glow?: string; disc?: { color: string; size: number }; stars?: number };
  /** Ground colour and optional texture, or none for an open backdrop. `shadowCatcher`: invisible except for shadows. */
  ground: (EnvSurface & { shadowCatcher?: boolean }) | null;
  /** Hemisphere light: sky and ground colours and intensity; matches the backdrop. */
  ambient: { sky: string; ground: string; intensity: number };
  /** Sun intensity at light.intensity = 1 and its base tint. In a room it is the ceiling key light. */
  sun: { intensity: number; tint?: string };
  /** Distance fog towards the horizon colour (blends the ground into the sky). */
  fog?: { near: number; far: number };
  /** A silhouette ring on the horizon: its colour and its tallest point in degrees above the horizon. */
  skyline?: { style: SkylineStyle; color: string; height: number };
  /** An indoor room instead of sky and ground: no sky is visible, lighting comes from walls and lamp. */
  room?: RoomDef;
  /** Name of a registered background image, shown as a screen-filling backdrop (image:<name> environments). */
  image?: string;
}

const STUDIO_FOG = { near: 10, far: 45 };

/** Every built-in environment. */
export const ENVIRONMENTS: readonly EnvironmentDef[] = [
  // Studios: seamless backdrops (fog blends the floor into the backdrop colour).
  {
    name: 'studio', doc: 'neutral grey studio backdrop',
    sky: { zenith: '#b8b8b8', horizon: '#d8d8d8' }, ground: { color: '#c8c8c8' }, fog: STUDIO_FOG,
    ambient: { sky: '#ffffff', ground: '#9a9a9a', intensity: 0.7 }, sun: { intensity: 2.2 },
  },
  {
    name: 'studio-dark', doc: 'dark studio backdrop with a key light',
    sky: { zenith: '#1b1b1f', horizon: '#2e2e34' }, ground: { color: '#303036' }, fog: STUDIO_FOG,
    ambient: { sky: '#9aa0b0', ground: '#202020', intensity: 0.8 }, sun: { intensity: 3.0 },
  },
  {
    name: 'studio-white', doc: 'white seamless cyclorama, bright and soft',
    sky: { zenith: '#f2f2f2', horizon: '#fbfbfb' }, ground: { color: '#ececec' }, fog: { near: 8, far: 35 },
    ambient: { sky: '#ffffff', ground: '#d8d8d8', intensity: 1.1 }, sun: { intensity: 1.8 },
  },
  {
    name: 'green-screen', doc: 'chroma-key green backdrop and floor, flat light',
    sky: { zenith: '#1a9a3c', horizon: '#20ad46' }, ground: { color: '#1ea443' }, fog: STUDIO_FOG,
    ambient: { sky: '#ffffff', ground: '#6aa878', intensity: 1.1 }, sun: { intensity: 1.6 },
  },
  {
    name: 'blue-screen', doc: 'chroma-key blue backdrop and floor, flat light',
    sky: { zenith: '#0a3a9c', horizon: '#1048b4' }, ground: { color: '#0e44aa' }, fog: STUDIO_FOG,
    ambient: { sky: '#ffffff', ground: '#6a80b0', intensity: 1.1 }, sun: { intensity: 1.6 },
  },
  // Outdoors, by time of day.
  {
    name: 'dawn', doc: 'pink-violet dawn sky, dewy grass, low rosy sun',
    sky: { zenith: '#5b6598', horizon: '#eeb3a4', glow: '#ffd2a8', disc: { color: '#fff0d8', size: 2.2 } },
    ground: { color: '#a8b4b8', texture: 'grass', repeat: 28 }, fog: { near: 18, far: 70 },
    skyline: { style: 'hills', color: '#7a7496', height: 3.5 },
    ambient: { sky: '#c4b4d8', ground: '#3c4434', intensity: 0.65 }, sun: { intensity: 1.4, tint: '#ffb894' },
  },
  {
    name: 'morning', doc: 'clear morning sky over a paved plaza, city in the haze',
    sky: { zenith: '#4a8ad8', horizon: '#cfe0f0', glow: '#fff4dc' },
    ground: { color: '#c0b8b4', texture: 'brick', repeat: 110 }, fog: { near: 25, far: 75 },
    skyline: { style: 'city', color: '#8c9eb6', height: 7 },
    ambient: { sky: '#b4cff2', ground: '#7a7068', intensity: 0.85 }, sun: { intensity: 2.3, tint: '#fff0dc' },
  },
  {
    name: 'meadow', doc: 'grass field and soft hills under a clear midday sky',
    sky: { zenith: '#3f7fd0', horizon: '#b8d6f0' },
    ground: { color: '#ffffff', texture: 'grass', repeat: 24 }, fog: { near: 30, far: 80 },
    skyline: { style: 'hills', color: '#7e9cae', height: 3 },
    ambient: { sky: '#a8c8ff', ground: '#4a6a2a', intensity: 0.9 }, sun: { intensity: 2.6 },
  },
  {
    name: 'desert', doc: 'sand dunes under a harsh midday sun and pale hazy sky',
    sky: { zenith: '#3f80d0', horizon: '#eee2c8' },
    ground: { color: '#eec488', texture: 'noise', repeat: 30 }, fog: { near: 25, far: 78 },
    skyline: { style: 'dunes', color: '#d9b784', height: 3 },
    ambient: { sky: '#cfe0f8', ground: '#a08060', intensity: 0.8 }, sun: { intensity: 3.2, tint: '#fff4e2' },
  },
  {
    name: 'golden-hour', doc: 'late-afternoon gold light over a dry grass field and tree line',
    sky: { zenith: '#6685b8', horizon: '#ffcc80', glow: '#ffb048', disc: { color: '#fff2c0', size: 2.5 } },
    ground: { color: '#c9a458', texture: 'noise', repeat: 40 }, fog: { near: 22, far: 75 },
    skyline: { style: 'trees', color: '#4f4632', height: 4 },
    ambient: { sky: '#ffd8a0', ground: '#5a4a28', intensity: 0.75 }, sun: { intensity: 2.5, tint: '#ffb868' },
  },
  {
    name: 'sunset', doc: 'orange sunset sky over sand',
    sky: { zenith: '#3b4a7a', horizon: '#f29a5a', glow: '#ff7a30', disc: { color: '#ffe0a0', size: 3 } },
    ground: { color: '#c9a57a', texture: 'noise', repeat: 16 }, fog: { near: 20, far: 75 },
    skyline: { style: 'dunes', color: '#6a4a50', height: 2 },
    ambient: { sky: '#ffb080', ground: '#604030', intensity: 0.8 }, sun: { intensity: 2.0, tint: '#ffc090' },
  },
  {
    name: 'dusk', doc: 'deep blue twilight over a street, city silhouette',
    sky: { zenith: '#121838', horizon: '#56507c', glow: '#c46a4c' },
    ground: { color: '#909090', texture: 'asphalt', repeat: 20 }, fog: { near: 20, far: 72 },
    skyline: { style: 'city', color: '#0d1020', height: 8 },
    ambient: { sky: '#9490b0', ground: '#2c2a30', intensity: 1.3 }, sun: { intensity: 1.8, tint: '#e4e0f0' },
  },
  {
    name: 'night', doc: 'dark blue night, moonlight and stars',
    sky: { zenith: '#05070f', horizon: '#1a2238', disc: { color: '#f4f0dc', size: 1.8 }, stars: 500 },
    ground: { color: '#34363c', texture: 'noise', repeat: 16 }, fog: { near: 15, far: 70 },
    skyline: { style: 'trees', color: '#06080e', height: 4 },
    ambient: { sky: '#646c80', ground: '#121212', intensity: 1.9 }, sun: { intensity: 2.4, tint: '#d0d8f4' },
  },
  // Outdoors, by ground.
  {
    name: 'street', doc: 'asphalt street under an overcast sky, city around',
    sky: { zenith: '#8c939c', horizon: '#c9cdd2' },
    ground: { color: '#ffffff', texture: 'asphalt', repeat: 20 }, fog: { near: 20, far: 70 },
    skyline: { style: 'city', color: '#868d96', height: 9 },
    ambient: { sky: '#d0d4da', ground: '#404040', intensity: 1.3 }, sun: { intensity: 1.2 },
  },
  {
    name: 'overcast', doc: 'flat grey overcast sky over a concrete lot, soft light',
    sky: { zenith: '#a3a8ae', horizon: '#d6d8da' },
    ground: { color: '#bab6b0', texture: 'noise', repeat: 48 }, fog: { near: 15, far: 60 },
    skyline: { style: 'trees', color: '#8d9290', height: 2.5 },
    ambient: { sky: '#e2e6ea', ground: '#68686a', intensity: 1.5 }, sun: { intensity: 0.55, tint: '#eef2f8' },
  },
  {
    name: 'snow', doc: 'snowfield and mountains under a pale winter sky, cold light',
    sky: { zenith: '#6a9cd8', horizon: '#dce8f6' },
    ground: { color: '#f2f6fc', texture: 'noise', repeat: 5 }, fog: { near: 25, far: 78 },
    skyline: { style: 'mountains', color: '#8e9eba', height: 7 },
    ambient: { sky: '#cfe0ff', ground: '#b8c4d8', intensity: 1.7 }, sun: { intensity: 2.4, tint: '#eef4ff' },
  },
  {
    name: 'forest', doc: 'forest floor of leaf litter in a clearing ringed by dark trees, dim green light',
    sky: { zenith: '#8aa4a4', horizon: '#b4c4b0' },
    ground: { color: '#a88058', texture: 'camouflage', repeat: 40 }, fog: { near: 12, far: 60 },
    skyline: { style: 'trees', color: '#1c2c1c', height: 11 },
    ambient: { sky: '#a4c4a0', ground: '#3a3020', intensity: 0.7 }, sun: { intensity: 1.6, tint: '#f2ffd8' },
  },
  // Indoors: closed rooms (the camera stays inside), warm or neutral ceiling key light.
  {
    name: 'living-room', doc: 'living room: wood floor, warm beige walls, window, warm lamp light',
    sky: { zenith: '#8cb4e0', horizon: '#e4eef6' }, ground: null,
    room: {
      size: [12, 4.5, 12], floor: { color: '#e8d8cc', texture: 'wood', repeat: 1.5, stretch: 6 }, walls: { color: '#e2d2b8' },
      ceiling: { color: '#f4eee4' }, lamp: '#fff0d0', skirting: '#f6f2ea',
      windows: [{ wall: 0, x: -2, y: 0.9, width: 2.6, height: 2.2 }, { wall: 1, x: 1.5, y: 0.9, width: 2.2, height: 2.2 }],
    },
    ambient: { sky: '#ffe4c0', ground: '#8a6a48', intensity: 0.8 }, sun: { intensity: 2.0, tint: '#ffd6a4' },
  },
  {
    name: 'kitchen', doc: 'kitchen: chequered tile floor, pale sage walls, bright window light',
    sky: { zenith: '#9cc4ec', horizon: '#eef4fa' }, ground: null,
    room: {
      size: [12, 4.2, 12], floor: { color: '#ece8e0', texture: 'checker', repeat: 2.4 }, walls: { color: '#cfdccb' },
      ceiling: { color: '#f8f8f6' }, lamp: '#fffaf0', skirting: '#8a9a88',
      windows: [{ wall: 0, x: 1.5, y: 1.2, width: 3, height: 1.8 }, { wall: 3, x: 0, y: 1.2, width: 2, height: 1.8 }],
    },
    ambient: { sky: '#fff6e6', ground: '#a09888', intensity: 0.9 }, sun: { intensity: 2.0, tint: '#fff2dc' },
  },
  {
    name: 'office', doc: 'office: grey carpet, white walls, cool ceiling light',
    sky: { zenith: '#a8c0dc', horizon: '#e8eef4' }, ground: null,
    room: {
      size: [12, 4, 12], floor: { color: '#8a929c', texture: 'fabric', repeat: 1 }, walls: { color: '#e8ebee' },
      ceiling: { color: '#f2f4f6' }, lamp: '#f4f8ff', skirting: '#5a6068',
      windows: [{ wall: 0, x: 0, y: 1, width: 5, height: 2.2 }, { wall: 2, x: 0, y: 1, width: 5, height: 2.2 }],
    },
    ambient: { sky: '#eef4ff', ground: '#606872', intensity: 1.0 }, sun: { intensity: 1.8, tint: '#f0f4ff' },
  },
  {
    name: 'warehouse', doc: 'warehouse: concrete floor, brick walls, dim high ceiling, cool light',
    sky: { zenith: '#b8c8d8', horizon: '#dfe6ec' }, ground: null,
    room: {
      size: [18, 7, 18], floor: { color: '#b4b0aa', texture: 'noise', repeat: 3 }, walls: { color: '#d8c8bc', texture: 'brick', repeat: 2.2 },
      ceiling: { color: '#4a4c50' }, lamp: '#eef4ff',
      windows: [{ wall: 0, x: 0, y: 3.6, width: 8, height: 2.4 }, { wall: 1, x: 0, y: 3.6, width: 8, height: 2.4 }],
    },
    ambient: { sky: '#d8e0ea', ground: '#505050', intensity: 0.8 }, sun: { intensity: 2.0, tint: '#eef2ff' },
  },
];

/** Environment names accepted by the `environment` factor (built-ins; `image:<name>` ones come from a spec's backgrounds). */
export const ENVIRONMENT_NAMES: readonly string[] = ENVIRONMENTS.map((e) => e.name);

/** Prefix of environments showing a registered background image. */
export const IMAGE_ENVIRONMENT_PREFIX = 'image:';

/** A registered background image: RGBA8 pixels, rows top-down, sRGB; `def` is its environment. */
export interface BackgroundImage {
  name: string;
  width: number;
  height: number;
  rgba: Uint8Array;
  def: EnvironmentDef;
}

const backgroundImages = new Map<string, BackgroundImage>();

const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const toSrgb = (c: number) => (c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055);
function hex(linear: readonly number[]): string {
  return `#${linear.map((v) => Math.round(Math.min(1, Math.max(0, toSrgb(v))) * 255).toString(16).padStart(2, '0')).join('')}`;
}

/** Mean linear RGB of the image rows [y0, y1), sampled on a coarse grid. */
function meanLinear(rgba: Uint8Array, width: number, height: number, y0: number, y1: number): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  const step = Math.max(1, Math.floor(Math.sqrt((width * (y1 - y0)) / 4096)));
  for (let y = y0; y < y1; y += step) {
    for (let x = 0; x < width; x += step) {
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) sum[c] += toLinear(rgba[o + c] / 255);
      n++;
    }
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/**
 * The environment of an image: the image fills the background, the ground is a shadow catcher, and
 * the lights come from the image's mean colours (top third: sky, bottom third: ground).
 */
function imageEnvironment(name: string, rgba: Uint8Array, width: number, height: number): EnvironmentDef {
  const third = Math.max(1, Math.floor(height / 3));
  const top = meanLinear(rgba, width, height, 0, third);
  const middle = meanLinear(rgba, width, height, third, Math.max(third + 1, height - third));
  const bottom = meanLinear(rgba, width, height, Math.max(0, height - third), height);
  const all = top.map((v, i) => (v + middle[i] + bottom[i]) / 3);
  const luminance = 0.2126 * all[0] + 0.7152 * all[1] + 0.0722 * all[2];
  const peak = Math.max(...all, 1e-4);
  // Sun: the mean hue, half-way to white; brighter images get a brighter sun.
  const tint = all.map((v) => 0.5 + 0.5 * (v / peak));
  const lift = (c: readonly number[], k: number) => c.map((v) => Math.min(1, v * k));
  return {
    name: `${IMAGE_ENVIRONMENT_PREFIX}${name}`,
    doc: `user background image ${name} (${width}x${height})`,
    sky: { zenith: hex(top), horizon: hex(middle) },
    ground: { color: hex(bottom), shadowCatcher: true },
    ambient: { sky: hex(lift(top, 1 / Math.max(0.25, Math.max(...top)))), ground: hex(bottom), intensity: 0.55 + 0.6 * Math.min(1, luminance / 0.3) },
    sun: { intensity: 1.0 + 1.6 * Math.min(1, luminance / 0.35), tint: hex(tint) },
    image: name,
  };
}

/**
 * Register RGBA8 pixels (rows top-down, sRGB) as background image `name`; the environment
 * `image:<name>` then shows it. Registering a name again replaces the image. Returns the environment.
 * @throws RangeError for an empty name or pixels that do not match width x height.
 */
export function registerBackgroundImage(name: string, rgba: Uint8Array, width: number, height: number): EnvironmentDef {
  if (!name) throw new RangeError(`background image name: expected a non-empty name, got ${JSON.stringify(name)}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgba.length !== width * height * 4) {
    throw new RangeError(`background image ${name}: expected ${width}x${height}x4 = ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  }
  const def = imageEnvironment(name, rgba, width, height);
  backgroundImages.set(name, { name, width, height, rgba, def });
  return def;
}

/** A registered background image by name (without the `image:` prefix). */
export function backgroundImage(name: string): BackgroundImage | undefined {
  return backgroundImages.get(name);
}

/** Every registered background image (a renderer pool hands them to its workers). */
export function registeredBackgroundImages(): BackgroundImage[] {
  return [...backgroundImages.values()];
}

/** Names of the registered background images' environments (`image:<name>`). */
export function backgroundEnvironmentNames(): string[] {
  return [...backgroundImages.keys()].map((n) => `${IMAGE_ENVIRONMENT_PREFIX}${n}`);
}

/** Look up an environment (built-in or a registered `image:<name>`); RangeError listing the valid names when unknown. */
export function environmentDef(name: string): EnvironmentDef {
  if (name.startsWith(IMAGE_ENVIRONMENT_PREFIX)) {
    const img = backgroundImages.get(name.slice(IMAGE_ENVIRONMENT_PREFIX.length));
    if (img) return img.def;
  }
  const env = ENVIRONMENTS.find((e) => e.name === name);
  if (!env) {
    const valid = [...ENVIRONMENT_NAMES, ...backgroundEnvironmentNames()];
    throw new RangeError(`environment: expected one of ${valid.join(', ')}, got ${JSON.stringify(name)}${name.startsWith(IMAGE_ENVIRONMENT_PREFIX) ? ' (list the image in the spec\'s backgrounds)' : ''}`);
  }
  return env;
}
