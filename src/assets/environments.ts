/**
 * Environments as plain data: sky gradient, ground, and the ambient light that matches them.
 * scene building in render/ turns one into three.js objects.
 */

/** One environment. Colours are sRGB hex. */
export interface EnvironmentDef {
  name: string;
  doc: string;
  /** Sky colours from zenith to horizon. */
  sky: { zenith: string; horizon: string };
  /** Ground colour and optional texture (a TEXTURES name), or none for an open backdrop. */
  ground: { color: string; texture?: string; repeat?: number } | null;
  /** Hemisphere light: sky and ground colours and intensity; matches the backdrop. */
  ambient: { sky: string; ground: string; intensity: number };
  /** Sun intensity at light.intensity = 1 and its base tint. */
  sun: { intensity: number; tint?: string };
}

/** Every built-in environment. */
export const ENVIRONMENTS: readonly EnvironmentDef[] = [
  { name: 'studio', doc: 'neutral grey studio backdrop', sky: { zenith: '#b8b8b8', horizon: '#d8d8d8' }, ground: { color: '#c8c8c8' }, ambient: { sky: '#ffffff', ground: '#9a9a9a', intensity: 0.7 }, sun: { intensity: 2.2 } },
  { name: 'studio-dark', doc: 'dark studio backdrop with a key light', sky: { zenith: '#1b1b1f', horizon: '#2e2e34' }, ground: { color: '#303036' }, ambient: { sky: '#9aa0b0', ground: '#202020', intensity: 0.5 }, sun: { intensity: 3.0 } },
  { name: 'meadow', doc: 'grass field under a clear midday sky', sky: { zenith: '#3f7fd0', horizon: '#b8d6f0' }, ground: { color: '#ffffff', texture: 'grass', repeat: 24 }, ambient: { sky: '#a8c8ff', ground: '#4a6a2a', intensity: 0.9 }, sun: { intensity: 2.6 } },
  { name: 'street', doc: 'asphalt under an overcast sky', sky: { zenith: '#8c939c', horizon: '#c9cdd2' }, ground: { color: '#ffffff', texture: 'asphalt', repeat: 20 }, ambient: { sky: '#d0d4da', ground: '#404040', intensity: 1.3 }, sun: { intensity: 1.2 } },
  { name: 'sunset', doc: 'warm low sky over sand', sky: { zenith: '#3b4a7a', horizon: '#f29a5a' }, ground: { color: '#c9a57a', texture: 'noise', repeat: 16 }, ambient: { sky: '#ffb080', ground: '#604030', intensity: 0.8 }, sun: { intensity: 2.0, tint: '#ffc090' } },
  { name: 'night', doc: 'dark blue night, moonlight', sky: { zenith: '#05070f', horizon: '#1a2238' }, ground: { color: '#2a2e38', texture: 'noise', repeat: 16 }, ambient: { sky: '#4a5a8a', ground: '#101010', intensity: 0.45 }, sun: { intensity: 0.9, tint: '#a0b4ff' } },
];

/** Environment names accepted by the `environment` factor. */
export const ENVIRONMENT_NAMES: readonly string[] = ENVIRONMENTS.map((e) => e.name);

/** Look up an environment; RangeError listing the valid names when unknown. */
export function environmentDef(name: string): EnvironmentDef {
  const env = ENVIRONMENTS.find((e) => e.name === name);
  if (!env) throw new RangeError(`environment: expected one of ${ENVIRONMENT_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  return env;
}
