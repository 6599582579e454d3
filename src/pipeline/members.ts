/**
 * A sample as WebDataset members: a group sharing the key `<id>` (no dots), sorted by name:
 * `<id>.png|jpg|webp|npy` (the image), `<id>.json` (the metadata record), `<id>.cls` (class index as
 * ASCII) and its label maps (`<id>.seg.png`, ... or `.npy`). The same members go into a dataset's tar
 * shards, the HTTP stream and session batches; a sample's members are encoded on their own (a tar
 * fragment), and a tar is the concatenation of fragments plus the end marker.
 */
import { encodeTarMembers, type TarMember } from './tar.js';
import { LABEL_FILE_KINDS, type SampleRecord } from './records.js';
import { labelFileName, type LabelFile } from './label-files.js';

/** The extension of a file name, after its last dot. */
function extensionOf(file: string): string {
  return file.slice(file.lastIndexOf('.') + 1);
}

/** The record as stored in a tar: file names become member names (`<id>.<ext>`, `<id>.<kind>.<ext>`). */
export function tarRecord(r: SampleRecord): SampleRecord {
  const out: SampleRecord = { ...r, file: `${r.id}.${extensionOf(r.file)}` };
  if (r.labels) {
    const files = Object.fromEntries(LABEL_FILE_KINDS.flatMap((k) => {
      const ref = r.labels!.files[k];
      return ref ? [[k, { ...ref, file: `${r.id}.${k}.${extensionOf(ref.file)}` }]] : [];
    }));
    out.labels = { ...r.labels, files };
  }
  return out;
}

/** The tar members of one sample, sorted by name. */
export function sampleTarMembers(record: SampleRecord, image: Uint8Array, labelFiles: readonly LabelFile[]): TarMember[] {
  const r = tarRecord(record);
  if (r.id.includes('.')) throw new RangeError(`webdataset key: expected no dots, got ${JSON.stringify(r.id)}`);
  const labelName = (f: LabelFile) => r.labels?.files[f.kind]?.file ?? labelFileName(r.id, f.kind);
  const members: TarMember[] = [
    { name: r.file, data: image },
    { name: `${r.id}.json`, data: Buffer.from(JSON.stringify(r)) },
    { name: `${r.id}.cls`, data: Buffer.from(String(r.label)) },
    ...labelFiles.map((f) => ({ name: labelName(f), data: f.bytes })),
  ];
  return members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The tar bytes of one sample (no end marker). */
export function sampleTarFragment(record: SampleRecord, image: Uint8Array, labelFiles: readonly LabelFile[]): Buffer {
  return encodeTarMembers(sampleTarMembers(record, image, labelFiles));
}
