/** The `synth verify` and `synth merge` commands: checking and combining exported datasets. */
import { verifyDataset } from '../export/verify.js';
import { mergeDatasets } from '../export/merge.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { defineCommand } from './args.js';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `synth verify DIR`: 0 when every file checks out, 1 listing each missing or corrupt one, 2 for a non-dataset. */
export const verifyCommand = defineCommand({
  name: 'verify',
  summary: 're-hash a dataset against its manifest.json (exit 1 lists each missing or corrupt file)',
  positionals: { name: 'DIR', description: 'the dataset folder to check', min: 1, max: 1 },
  options: {
    quiet: { type: 'boolean', short: 'q', description: 'print nothing when every file checks out' },
  },
}, async ({ values, positionals }) => {
  const report = await verifyDataset(positionals[0]);
  for (const p of report.problems) say(p);
  if (report.problems.length > 0) {
    say(`${report.dir}: ${report.problems.length} problem(s) in ${report.checked} files checked`);
    return 1;
  }
  if (!values.quiet) say(`${report.dir}: ok, ${report.checked} files checked`);
  return 0;
});

/** `synth merge --out DIR SLICE...`: 0 when merged, 2 when the slices do not form one dataset. */
export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'combine the --shard-index slices of one export into one dataset',
  positionals: { name: 'SLICE_DIR...', description: 'the slice folders, in any order', min: 1, max: Number.MAX_SAFE_INTEGER },
  options: {
    out: { type: 'string', short: 'o', value: 'DIR', description: 'the merged dataset\'s folder', required: 'the output folder' },
    root: { type: 'string', value: 'DIR', description: 'refuse an --out outside this folder', defaultText: `$${OUTPUT_ROOT_ENV}, else none` },
    quiet: { type: 'boolean', short: 'q', description: 'no summary on stdout' },
  },
}, async ({ values, positionals }) => {
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const r = await mergeDatasets({ out, inputs: positionals });
  if (!values.quiet) say(`merged ${positionals.length} slice(s) into ${r.out}: ${r.count} samples, ${r.files} files`);
  return 0;
});
