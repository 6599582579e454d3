/** The `synth verify` and `synth merge` commands: checking and combining exported datasets. */
import { verifyDataset } from '../export/verify.js';
import { mergeDatasets } from '../export/merge.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { inputError } from '../core/errors.js';
import { parseCommandArgs } from './args.js';

/** Usage lines of these commands, for the CLI's help text. */
export const DATASET_USAGE = `  synth verify  DIR                (re-hash against manifest.json; exit 1 lists each missing or corrupt file)
  synth merge   --out DIR [--root DIR] SLICE_DIR...   (combine --shard-index slices into one dataset)`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `synth verify DIR`: 0 when every file checks out, 1 listing each missing or corrupt one, 2 for a non-dataset. */
export async function commandVerify(argv: string[], usage: string): Promise<number> {
  const { values, positionals } = parseCommandArgs('verify', argv, { quiet: { type: 'boolean', short: 'q' } }, 1);
  if (values.help) return say(usage), 0;
  if (positionals.length !== 1) throw inputError('DIR', 'one dataset folder', positionals.length ? positionals : undefined);
  const report = await verifyDataset(positionals[0]);
  for (const p of report.problems) say(p);
  if (report.problems.length > 0) {
    say(`${report.dir}: ${report.problems.length} problem(s) in ${report.checked} files checked`);
    return 1;
  }
  if (!values.quiet) say(`${report.dir}: ok, ${report.checked} files checked`);
  return 0;
}

/** `synth merge --out DIR SLICE...`: 0 when merged, 2 when the slices do not form one dataset. */
export async function commandMerge(argv: string[], usage: string): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, {
    out: { type: 'string', short: 'o' }, root: { type: 'string' }, quiet: { type: 'boolean', short: 'q' },
  }, Number.MAX_SAFE_INTEGER);
  if (values.help) return say(usage), 0;
  if (!values.out) throw inputError('--out', 'an output folder', undefined);
  if (positionals.length === 0) throw inputError('SLICE_DIR', 'one or more slice folders', []);
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const r = await mergeDatasets({ out, inputs: positionals });
  if (!values.quiet) say(`merged ${positionals.length} slice(s) into ${r.out}: ${r.count} samples, ${r.files} files`);
  return 0;
}
