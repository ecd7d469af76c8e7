// Generates the TypeScript types of the OpenAPI document with openapi-typescript (as the SDK
// will) and fails when a response has no usable type: an operation whose success answer is
// `never` or `unknown` (no schema), or a schema that generates to nothing.
//
//   node scripts/openapi-types.cjs <openapi.json> [<out.d.ts>]
//
// openapi-typescript builds its output with the TypeScript compiler API, which TypeScript 7
// (the native compiler the project builds with) no longer ships: it gets TypeScript 5, as
// lint does (eslint.config.mjs).
const Module = require('node:module');
const { readFileSync, writeFileSync } = require('node:fs');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === 'typescript' ? 'typescript-legacy' : request, ...rest);
};
const ts = require('typescript-legacy');
const { default: openapiTS, astToString } = require('openapi-typescript');

const nameOf = (member) => member.name && (ts.isIdentifier(member.name) ? member.name.text : member.name.text);
const membersOf = (node) => (node && ts.isTypeLiteralNode(node) ? node.members : (node?.members ?? []));
const find = (members, name) => members.find((m) => nameOf(m) === name);
const EMPTY = new Set([ts.SyntaxKind.NeverKeyword, ts.SyntaxKind.UnknownKeyword]);

/** `never`, `unknown`, or `Record<string, never>` (an object schema with nothing in it). */
function isEmptyType(node) {
  if (!node) return true;
  if (EMPTY.has(node.kind)) return true;
  return ts.isTypeReferenceNode(node) && astToString(node).trim() === 'Record<string, never>';
}

/** The component schemas an answer (or a problem) refers to, directly or through other schemas. */
function referencedSchemas(document) {
  const found = new Set();
  const visit = (value) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const ref = typeof value.$ref === 'string' && /^#\/components\/schemas\/(.+)$/.exec(value.$ref)?.[1];
    if (ref && !found.has(ref)) {
      found.add(ref);
      visit(document.components.schemas[ref]);
    }
    Object.values(value).forEach(visit);
  };
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      for (const response of Object.values(operation.responses ?? {})) visit(response);
    }
  }
  return found;
}

async function main() {
  const [input, output] = process.argv.slice(2);
  if (!input) {
    console.error('usage: node scripts/openapi-types.cjs <openapi.json> [<out.d.ts>]');
    process.exit(2);
  }
  const document = JSON.parse(readFileSync(input, 'utf8'));
  const nodes = await openapiTS(document);
  if (output) writeFileSync(output, astToString(nodes));
  const declarations = nodes.filter((n) => ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n));
  const declared = (name) => declarations.find((d) => d.name.text === name);

  const failures = [];
  let checked = 0;
  for (const operation of membersOf(declared('operations'))) {
    for (const response of membersOf(find(membersOf(operation.type), 'responses')?.type)) {
      const status = nameOf(response);
      if (!/^2\d\d$/.test(status)) continue;
      checked++;
      const content = find(membersOf(response.type), 'content');
      if (status === '204') continue; // no content, by definition
      if (!content || isEmptyType(content.type)) {
        failures.push(
          `${nameOf(operation)} ${status}: content is ${content ? astToString(content.type).trim() : 'absent'}`,
        );
        continue;
      }
      for (const media of membersOf(content.type)) {
        if (isEmptyType(media.type))
          failures.push(`${nameOf(operation)} ${status} ${nameOf(media)}: ${astToString(media.type).trim()}`);
      }
    }
  }
  // The schemas the answers use, through every reference: none may generate to nothing.
  const answered = referencedSchemas(document);
  const schemas = membersOf(find(membersOf(declared('components')), 'schemas')?.type).filter((s) =>
    answered.has(nameOf(s)),
  );
  for (const schema of schemas) {
    if (isEmptyType(schema.type)) failures.push(`schema ${nameOf(schema)}: ${astToString(schema.type).trim()}`);
  }
  if (checked === 0) failures.push('no operation responses found in the generated types');
  if (failures.length > 0) {
    console.error(`OpenAPI types: ${failures.length} response types are empty:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`OpenAPI types: ${checked} success responses and the ${schemas.length} schemas they use, all typed`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
