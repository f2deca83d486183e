/**
 * The docs work in a fresh clone. Every relative link in the markdown files of the repository
 * (docs/, README.md, services/*\/README.md, ...) points at a file there that git does not ignore, and
 * every `#anchor` into a markdown file names a heading or an `id` there. The traceability tables
 * (docs/traceability.md) link each requirement ID to its rule in docs/requirements.md, link every
 * file they name, and quote only tests that exist, in the test file linked before the quote.
 *
 *   node_modules/.bin/node --test scripts/docs-links.unit.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REQUIREMENTS = join(ROOT, 'docs', 'requirements.md');
const TRACEABILITY = join(ROOT, 'docs', 'traceability.md');

/** Repository-relative path with forward slashes. */
const rel = (abs: string): string => relative(ROOT, abs).split(sep).join('/');

/** Every file under `dir`, skipping node_modules and hidden directories (.git, .data, .tools). */
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.name === 'node_modules' || d.name.startsWith('.')) return [];
    const p = join(dir, d.name);
    return d.isDirectory() ? walk(p) : d.isFile() ? [p] : [];
  });

/**
 * The files a fresh clone would have, as far as the working tree tells: tracked or not ignored.
 * null without git (then the working tree alone decides).
 */
const cloneFiles = ((): Set<string> | null => {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return null;
  return new Set(r.stdout.split('\0').filter((f) => f !== ''));
})();

const inClone = (abs: string): boolean => {
  if (!existsSync(abs)) return false;
  if (cloneFiles === null) return true;
  const p = rel(abs);
  if (p === '' || cloneFiles.has(p)) return true;
  const prefix = p.endsWith('/') ? p : `${p}/`;
  for (const f of cloneFiles) if (f.startsWith(prefix) && existsSync(join(ROOT, f))) return true;
  return false;
};

/** Every markdown file of the repository: docs/, README.md, services/*\/README.md, charts, ... */
const MARKDOWN = walk(ROOT)
  .filter((f) => f.endsWith('.md'))
  .sort();

/** The markdown with fenced code blocks blanked (line numbers kept) and inline code spans masked. */
const prose = (md: string): string => {
  let fence: string | null = null;
  const lines = md.split('\n').map((line) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      fence = m[1]!;
      return '';
    }
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      return '';
    }
    return line;
  });
  // A code span's content cannot hold a link; link text in backticks keeps its brackets.
  return lines.join('\n').replace(/(`+)([^`\n]|[^`\n][^\n]*?[^`\n])\1(?!`)/g, (_s, ticks: string, body: string) => `${ticks}${body.replace(/[^\n]/g, 'x')}${ticks}`);
};

interface Link {
  target: string;
  line: number;
  /** Offset in the text the link was found in. */
  at: number;
}

const lineOf = (text: string, at: number): number => text.slice(0, at).split('\n').length;

/** Inline links and images, reference definitions and HTML hrefs. */
const linksIn = (text: string): Link[] => {
  const found: Link[] = [];
  const inline = /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(?:<([^<>\n]*)>|([^()\s]+))(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
  for (const m of text.matchAll(inline)) found.push({ target: (m[1] ?? m[2])!, line: lineOf(text, m.index), at: m.index });
  for (const m of text.matchAll(/^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)>?/gm)) found.push({ target: m[1]!, line: lineOf(text, m.index), at: m.index });
  for (const m of text.matchAll(/<a\s[^>]*href="([^"]+)"/g)) found.push({ target: m[1]!, line: lineOf(text, m.index), at: m.index });
  return found.sort((a, b) => a.at - b.at);
};

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's heading anchor: the rendered text in lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .split(/(`+[^`]*`+)/)
    .map((part) => (part.startsWith('`') ? part.replace(/`/g, '') : part.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '')))
    .join('')
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');

const HEADING = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;

const anchorCache = new Map<string, Set<string>>();
/** Anchors of a markdown file: heading slugs (with GitHub's -1, -2 for repeats) and HTML ids. */
const anchorsOf = (file: string): Set<string> => {
  const cached = anchorCache.get(file);
  if (cached) return cached;
  const md = readFileSync(file, 'utf8');
  const original = md.split('\n');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  prose(md)
    .split('\n')
    .forEach((line, i) => {
      if (!HEADING.test(line)) return;
      const base = slug(HEADING.exec(original[i]!)![1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    });
  for (const m of md.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  anchorCache.set(file, anchors);
  return anchors;
};

/** Why a link from `from` to `target` would be broken in a fresh clone, or null when it is fine. */
const brokenLink = (from: string, target: string): string | null => {
  if (isExternal(target)) return null;
  const hash = target.indexOf('#');
  const pathPart = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
  let file = from;
  if (pathPart !== '') {
    const decoded = decodeURIComponent(pathPart);
    file = decoded.startsWith('/') ? join(ROOT, decoded) : resolve(dirname(from), decoded);
    const r = relative(ROOT, file);
    if (r.startsWith('..') || isAbsolute(r)) return 'points outside the repository';
    if (r.split(sep).includes('node_modules')) return 'points into node_modules';
    if (!inClone(file)) return `${rel(file)} is not in the repository (missing, or ignored by git)`;
  }
  if (anchor !== '' && file.endsWith('.md') && !anchorsOf(file).has(anchor)) return `${rel(file)} has no anchor #${anchor}`;
  return null;
};

// ---------------------------------------------------------------------------------------------
// Tests and their names

interface TestNames {
  exact: Set<string>;
  /** Names built from template literals: `killed at ${failpoint}`. */
  patterns: RegExp[];
}

const unescape = (s: string): string => s.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TEST_FILES = walk(ROOT).filter((f) => f.endsWith('.test.ts'));

const testNames = new Map<string, TestNames>(
  TEST_FILES.map((file) => {
    const src = readFileSync(file, 'utf8');
    const names: TestNames = { exact: new Set(), patterns: [] };
    const call = /\b(?:test|it|describe|suite)(?:\.(?:only|skip|todo))?\s*\(\s*(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`)/g;
    for (const m of src.matchAll(call)) {
      if (m[3] === undefined) names.exact.add(unescape((m[1] ?? m[2])!));
      else if (!m[3].includes('${')) names.exact.add(unescape(m[3]));
      else names.patterns.push(new RegExp(`^${m[3].split(/\$\{[^}]*\}/).map((part) => escapeRegExp(unescape(part))).join('.*')}$`, 's'));
    }
    return [file, names];
  }),
);

/** A quote ending in "..." (or "…") quotes the start of a test name. */
const hasTest = (names: TestNames, quote: string): boolean => {
  const prefix = /(?:\.\.\.|…)$/.test(quote) ? quote.replace(/(?:\.\.\.|…)$/, '') : null;
  if (prefix === null) return names.exact.has(quote) || names.patterns.some((p) => p.test(quote));
  for (const name of names.exact) if (name.startsWith(prefix)) return true;
  return false;
};

// ---------------------------------------------------------------------------------------------
// Tables

interface Table {
  header: string[];
  rows: { cells: string[]; line: number }[];
}

const cellsOf = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

const tablesIn = (md: string): Table[] => {
  const lines = md.split('\n');
  const tables: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|?\s*:?-{3,}/.test(lines[i + 1]!)) continue;
    const table: Table = { header: cellsOf(lines[i]!), rows: [] };
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) table.rows.push({ cells: cellsOf(lines[j]!), line: j + 1 });
    tables.push(table);
    i = j - 1;
  }
  return tables;
};

const RULE_ID = /\b[A-Z]{3}-\d{2}\b/g;

/** Rule ID -> anchor, from the `<a id="cat-08"></a>CAT-08` cells of docs/requirements.md. */
const ruleAnchors = (): Map<string, string> => {
  const rules = new Map<string, string>();
  for (const m of readFileSync(REQUIREMENTS, 'utf8').matchAll(/<a id="([^"]+)"><\/a>([A-Z]{3}-\d{2})\b/g)) {
    assert.ok(!rules.has(m[2]!), `docs/requirements.md: ${m[2]} is defined twice`);
    rules.set(m[2]!, m[1]!);
  }
  return rules;
};

/** A file name or path written in the cell but not linked: `content.ts`, `packages/ledger`. */
const unlinkedPaths = (cell: string): string[] => {
  const outside = cell.replace(/!?\[(?:[^[\]]|\[[^[\]]*\])*\]\([^)]*\)/g, ' ');
  const found: string[] = [];
  const fileLike = /^(?:[\w@.*-]+\/)*[\w@.*-]+\.(?:ts|js|md|avsc|proto|json|ya?ml|sql|sh)$|^(?:\.{0,2}\/)?[\w@.*-]+(?:\/[\w@.*-]*)+$/;
  for (const m of outside.matchAll(/`([^`]+)`/g)) {
    const token = m[1]!.trim().split(/\s/)[0]!;
    if (fileLike.test(token)) found.push(token);
  }
  for (const m of outside.replace(/`[^`]*`/g, ' ').matchAll(/(?<![\w/.-])((?:[\w@-]+\/)*[\w@.-]+\.(?:ts|md|avsc|proto))(?![\w/-])/g)) found.push(m[1]!);
  return found;
};

// ---------------------------------------------------------------------------------------------

test('docs: every relative link in the markdown docs resolves inside the repository', () => {
  assert.ok(MARKDOWN.length > 3, 'the docs were found');
  const problems: string[] = [];
  for (const file of MARKDOWN) {
    for (const link of linksIn(prose(readFileSync(file, 'utf8')))) {
      const why = brokenLink(file, link.target);
      if (why !== null) problems.push(`${rel(file)}:${link.line}: (${link.target}) ${why}`);
    }
  }
  assert.deepEqual(problems, [], `broken links:\n${problems.join('\n')}`);
});

test('docs: requirements.md gives every rule ID its own anchor', () => {
  const rules = ruleAnchors();
  assert.ok(rules.size >= 98, `docs/requirements.md defines ${rules.size} rules`);
  const wrong = [...rules].filter(([id, anchor]) => anchor !== id.toLowerCase()).map(([id, anchor]) => `${id} has anchor #${anchor}`);
  assert.deepEqual(wrong, [], 'the anchor of a rule is its ID in lower case');
});

test('docs: every traceability link resolves in a fresh clone', () => {
  const rules = ruleAnchors();
  const tables = tablesIn(readFileSync(TRACEABILITY, 'utf8')).filter((t) => /^requirements?$/i.test(t.header[0] ?? ''));
  assert.ok(tables.length > 0, 'docs/traceability.md has requirement tables');
  const problems: string[] = [];
  let quotes = 0;
  for (const table of tables) {
    const testCol = table.header.findIndex((h) => /^tests?$/i.test(h));
    const codeCol = table.header.findIndex((h) => /^code$/i.test(h));
    assert.ok(testCol > 0, `a traceability table has a Test column: | ${table.header.join(' | ')} |`);
    for (const { cells, line } of table.rows) {
      const at = `docs/traceability.md:${line}`;
      const ids = cells[0]?.match(RULE_ID) ?? [];
      if (ids.length === 0) problems.push(`${at}: no requirement ID in the first column`);
      for (const id of ids) {
        if (!rules.has(id)) problems.push(`${at}: ${id} is not a rule of docs/requirements.md`);
        else if (!cells[0]!.includes(`[${id}](requirements.md#${rules.get(id)})`)) problems.push(`${at}: ${id} is not linked as [${id}](requirements.md#${rules.get(id)})`);
      }
      if (codeCol >= 0) for (const p of unlinkedPaths(cells[codeCol] ?? '')) problems.push(`${at}: code path ${p} is not a link`);

      // Quotes in the test column are test names, each in the test file linked before it.
      const cell = cells[testCol] ?? '';
      const events = [
        ...linksIn(cell).map((l) => ({ at: l.at, link: l.target })),
        ...[...cell.matchAll(/"([^"]+)"/g)].map((m) => ({ at: m.index, quote: m[1]! })),
      ].sort((a, b) => a.at - b.at);
      let testFile: string | null = null;
      for (const e of events) {
        if ('link' in e) {
          const target = resolve(dirname(TRACEABILITY), decodeURIComponent(e.link.split('#')[0]!));
          if (target.endsWith('.test.ts')) testFile = target;
          continue;
        }
        quotes += 1;
        if (testFile === null) problems.push(`${at}: "${e.quote}" comes before any link to a test file`);
        else if (!testNames.has(testFile)) problems.push(`${at}: "${e.quote}": ${rel(testFile)} is not a test file of the repository`);
        else if (!hasTest(testNames.get(testFile)!, e.quote)) problems.push(`${at}: no test "${e.quote}" in ${rel(testFile)}`);
      }
    }
  }
  assert.ok(quotes > 0, 'the traceability tables quote tests');
  assert.deepEqual(problems, [], `traceability problems:\n${problems.join('\n')}`);
});
