#!/usr/bin/env node
/**
 * Checks every relative link and image in the project's Markdown files: the target file or folder
 * exists, and a `#fragment` names a heading of the target Markdown file (GitHub's heading slugs).
 * Links inside fenced code blocks and inline code are ignored; http(s) and mailto links are not fetched.
 * Usage: node scripts/check-links.mjs [FILE.md ...]   (default: every tracked *.md outside node_modules)
 * Exit 0 when every link resolves, 1 listing each broken one as FILE:LINE: target (why).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Markdown files to check: the arguments, else every tracked and untracked-but-not-ignored *.md. */
function markdownFiles(args) {
  if (args.length > 0) return args.map((a) => resolve(a));
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && !f.includes('node_modules/')).map((f) => join(ROOT, f)).filter((f) => existsSync(f));
}

/** The lines of a Markdown text with fenced code blocks (and, unless `keepInline`, inline code) blanked. */
function proseLines(text, keepInline = false) {
  let fence = null;
  return text.split('\n').map((line) => {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (m) {
      if (fence === null) fence = m[1][0];
      else if (m[1][0] === fence) fence = null;
      return '';
    }
    return fence !== null ? '' : keepInline ? line : line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  return heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a Markdown file (duplicates get -1, -2, ... as on GitHub). */
function anchors(file) {
  const seen = new Map();
  const out = new Set();
  for (const line of proseLines(readFileSync(file, 'utf8'), true)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every broken relative link of `file`, as "FILE:LINE: target (why)". */
function brokenLinks(file) {
  const problems = [];
  const lines = proseLines(readFileSync(file, 'utf8'));
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [path, fragment] = target.split('#');
      const where = `${relative(ROOT, file)}:${i + 1}: ${target}`;
      const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(resolved)) {
        problems.push(`${where} (no such file)`);
        continue;
      }
      if (fragment === undefined || fragment === '') continue;
      if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
        problems.push(`${where} (a fragment on a file that is not Markdown)`);
        continue;
      }
      if (!anchors(resolved).has(fragment)) problems.push(`${where} (no heading with anchor #${fragment})`);
    }
  });
  return problems;
}

const files = markdownFiles(process.argv.slice(2));
const problems = files.flatMap(brokenLinks);
for (const p of problems) console.log(p);
console.log(`${files.length} Markdown files, ${problems.length} broken link${problems.length === 1 ? '' : 's'}`);
process.exit(problems.length > 0 ? 1 : 0);
