// openapi-typescript and tsup's declaration bundler use the TypeScript compiler API, which
// TypeScript 7 (the project's compiler) no longer ships: point them at TypeScript 5 (as the
// lint config does), for both require() and import.
import Module, { register } from 'node:module';

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === 'typescript' ? 'typescript-legacy' : request, ...rest);
};
register(
  'data:text/javascript,' +
    encodeURIComponent(
      "export function resolve(s, c, next) { return next(s === 'typescript' ? 'typescript-legacy' : s, c); }",
    ),
);
