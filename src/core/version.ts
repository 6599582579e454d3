/** Versions of this package and its native dependencies, for manifests and /health. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    const main = require.resolve(name);
    let dir = main;
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // keep walking up
      }
    }
  } catch {
    // not installed
  }
  return 'unknown';
}

/** This package's version (from its package.json). */
export const SYNTH_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** Versions of the code and its engines, recorded in every manifest. */
export function codeVersions(): Record<string, string> {
  return {
    synth: SYNTH_VERSION,
    node: process.versions.node,
    three: packageVersion('three'),
    webgpu: packageVersion('webgpu'),
    sharp: packageVersion('sharp'),
  };
}
