/** Hashing of encoded files: the sha256 and size records and manifests carry. */
import { createHash } from 'node:crypto';

/** Size and hash of a file. */
export interface FileDigest {
  sha256: string;
  bytes: number;
}

/** sha256 of bytes or text, hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Digest of bytes or text. */
export function digestOf(data: Uint8Array | string): FileDigest {
  return { sha256: sha256(data), bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length };
}
