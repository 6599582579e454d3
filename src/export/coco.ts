/**
 * COCO instances JSON (`coco.json`): images, annotations (boxes, RLE masks, numeric area) and
 * categories. Ids are stable across shards and merges: image id = sample index + 1, annotation id =
 * index * ANNOTATION_ID_STRIDE + instance, category id = class index + 1.
 */
import type { LabelSet } from '../labels/types.js';
import { rleEncode, rleArea, boxFromRle, type Rle, type Box } from '../labels/mask.js';
import { classInfo, type Catalog } from '../spec/catalog.js';
import { classesByLabel, type Spec } from '../spec/schema.js';

/** File name of the COCO document in a dataset. */
export const COCO_FILE = 'coco.json';
/** Annotation ids leave room for 255 instances per image (instance ids are 8-bit). */
export const ANNOTATION_ID_STRIDE = 256;

/** A COCO image entry. */
export interface CocoImage {
  id: number;
  /** Path relative to the dataset root, or the tar member name when images live only in shards. */
  file_name: string;
  width: number;
  height: number;
  /** The WebDataset shard holding `file_name`, when images are not written as files. */
  shard?: string;
}

/** A COCO instance annotation. */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: Box;
  area: number;
  /** Uncompressed RLE (column-major); absent when only boxes were rendered. */
  segmentation?: Rle;
  iscrowd: 0;
}

/** A COCO category. */
export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

/** The whole document. */
export interface CocoDocument {
  info: { description: string; version: string };
  licenses: never[];
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/**
 * Annotations of sample `index`: one per visible object, with an RLE mask when the instance mask is
 * there (bbox and area then come from the mask), else with the `boxes` pass's box; none without labels.
 */
export function cocoAnnotations(index: number, labels: LabelSet | undefined): CocoAnnotation[] {
  if (!labels) return [];
  const out: CocoAnnotation[] = [];
  for (const o of labels.objects) {
    if (!(Number.isInteger(o.instance) && o.instance >= 1 && o.instance < ANNOTATION_ID_STRIDE)) {
      throw new RangeError(`labels.objects: expected instance ids in [1, ${ANNOTATION_ID_STRIDE - 1}], got ${o.instance}`);
    }
    const base = { id: index * ANNOTATION_ID_STRIDE + o.instance, image_id: index + 1, category_id: o.label + 1 };
    if (labels.instanceMask) {
      const rle = rleEncode(labels.instanceMask, labels.width, labels.height, o.instance);
      const bbox = boxFromRle(rle);
      if (bbox) out.push({ ...base, bbox, area: rleArea(rle), segmentation: rle, iscrowd: 0 });
    } else if (o.bbox) {
      out.push({ ...base, bbox: [...o.bbox], area: o.area, iscrowd: 0 });
    }
  }
  return out;
}

/** Categories of a spec: id = class label + 1 (classesByLabel order), supercategory = the class's family. */
export function cocoCategories(spec: Spec, catalog: Catalog): CocoCategory[] {
  return classesByLabel(spec.classes).map((name, i) => ({ id: i + 1, name, supercategory: classInfo(catalog, name)?.family ?? 'object' }));
}

/** Assemble a COCO document; images and annotations are sorted by id so any merge order gives the same bytes. */
export function cocoDocument(name: string, images: CocoImage[], annotations: CocoAnnotation[], categories: CocoCategory[]): CocoDocument {
  return {
    info: { description: `${name}: synthetic images rendered by synth`, version: '1' },
    licenses: [],
    images: [...images].sort((a, b) => a.id - b.id),
    annotations: [...annotations].sort((a, b) => a.id - b.id),
    categories,
  };
}

/** The file text of a COCO document (one line, then a newline). */
export function cocoText(doc: CocoDocument): string {
  return `${JSON.stringify(doc)}\n`;
}
