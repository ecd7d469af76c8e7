import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';

/** docs/errors.md: five levels up from here in the sources, and in the build (which copies it to dist/docs). */
function errorsMarkdown(): string {
  return readFileSync(join(__dirname, '../../../../../docs/errors.md'), 'utf8');
}

/**
 * The error reference a problem's `type` points to: docs/errors.md as HTML, each code's row
 * in the codes table anchored by the code (`#DSE-008`).
 */
export function renderErrorReference(): string {
  const anchored = new Set<string>();
  const body = (marked.parse(errorsMarkdown(), { async: false }) as string).replace(
    /<td>(DSE-\d{3})<\/td>/g,
    (cell, code: string) => {
      if (anchored.has(code)) return cell;
      anchored.add(code);
      return `<td id="${code}">${code}</td>`;
    },
  );
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Tally errors</title>' +
    '<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}' +
    'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top}' +
    ':target{background:#ffc}</style></head><body>\n' +
    body +
    '</body></html>\n'
  );
}
