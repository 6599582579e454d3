#!/usr/bin/env node
/**
 * The `synth` executable: runs the CLI (main.ts) in a child process whose stderr it filters of Dawn's
 * notices (render/gpu.ts DAWN_NOTICES), which Dawn's native code writes straight to file descriptor 2
 * whenever a renderer opens an adapter, `--quiet` or not. This module stays small (it loads no command)
 * so the extra process costs little; SYNTH_STDERR_FILTER=0 runs the CLI here, unfiltered.
 */
import { adoptParentTerminal, runWithFilteredStderr, stderrIsFiltered } from '../core/filtered-stderr.js';
import { DAWN_NOTICES } from '../render/gpu.js';

async function run(): Promise<number> {
  if (!stderrIsFiltered()) return runWithFilteredStderr(DAWN_NOTICES);
  adoptParentTerminal();
  const { main } = await import('./main.js');
  return main(process.argv.slice(2));
}

// Dawn keeps handles open after the renderer is disposed: exit explicitly once the work is done.
run().then((code) => process.exit(code), (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
