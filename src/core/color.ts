/** Colour helpers: named colours, hex parsing, black-body colour temperature. */

/** Named colours usable as the `color` factor (CLEVR's eight plus a few common ones), sRGB hex. */
export const NAMED_COLORS: Readonly<Record<string, string>> = {
  red: '#c62828', green: '#2e7d32', blue: '#1e4fc2', yellow: '#f2c318', purple: '#7b1fa2',
  cyan: '#00a5b5', brown: '#795234', gray: '#8a8a8a', white: '#f0f0f0', black: '#1c1c1c',
  orange: '#ef6c00', pink: '#e86a9a',
};

/** Parse `#rrggbb` or a named colour to sRGB components in [0,1]; null when not a colour. */
export function parseColor(value: string): [number, number, number] | null {
  const hex = NAMED_COLORS[value.toLowerCase()] ?? value;
  const m = /^#([0-9a-fA-F]{6})$/.exec(hex);
  if (!m) return null;
  const n = Number.parseInt(m[1], 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** Name of the named colour nearest to an sRGB triple (used in captions). */
export function nearestColorName(rgb: readonly [number, number, number]): string {
  let best = 'gray';
  let bestD = Infinity;
  for (const [name, hex] of Object.entries(NAMED_COLORS)) {
    const c = parseColor(hex)!;
    const d = (c[0] - rgb[0]) ** 2 + (c[1] - rgb[1]) ** 2 + (c[2] - rgb[2]) ** 2;
    if (d < bestD) { bestD = d; best = name; }
  }
  return best;
}

/**
 * sRGB colour of a black body at `kelvin` (1000..40000), normalised so the brightest channel is 1.
 * Tanner Helland's fit of Mitchell Charity's table; good to a few percent, plenty for lighting.
 */
export function kelvinToRgb(kelvin: number): [number, number, number] {
  const t = Math.min(40000, Math.max(1000, kelvin)) / 100;
  const r = t <= 66 ? 255 : 329.698727446 * (t - 60) ** -0.1332047592;
  const g = t <= 66 ? 99.4708025861 * Math.log(t) - 161.1195681661 : 288.1221695283 * (t - 60) ** -0.0755148492;
  const b = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * Math.log(t - 10) - 305.0447927307;
  const c = [r, g, b].map((v) => Math.min(255, Math.max(0, v)) / 255) as [number, number, number];
  const max = Math.max(...c);
  return [c[0] / max, c[1] / max, c[2] / max];
}
