// typescript-eslint parses with the TypeScript compiler API, which TypeScript 7 (the native
// compiler used to type-check and build) no longer ships; lint parses with TypeScript 5.
import Module from 'node:module';
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === 'typescript' ? 'typescript-legacy' : request, ...rest);
};

const { default: js } = await import('@eslint/js');
const { default: tseslint } = await import('typescript-eslint');
const { default: prettier } = await import('eslint-config-prettier');

export default tseslint.config(
  { ignores: ['dist/', 'packages/*/dist/', 'apps/dashboard/dist/', 'node_modules/', 'data/', 'coverage/', '*.js', '*.cjs', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // Node scripts run as they are, without a build (CommonJS, to redirect `typescript` as above).
    files: ['scripts/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='only']", message: 'focused tests never land' },
      ],
      'no-restricted-imports': [
        'error',
        {
          // One entry per refused import: a second 'no-restricted-imports' key would replace this one.
          paths: [
            {
              name: 'class-validator',
              importNames: ['IsOptional'],
              message: 'IsOptional lets null through to the handler: use IfPresent (or IfPresentAndNotNull) from @tally/shared',
            },
            {
              name: '@nestjs/cqrs',
              importNames: ['EventsHandler'],
              message:
                "declare handlers of outbox events with OutboxEventsHandler from '@tally/database': the relay marks an event handled only once every handler's work has committed",
            },
          ],
        },
      ],
    },
  },
  {
    // The dashboard runs in a browser. Its .tsx files are outside what the layer lint can parse, so
    // this repeats its rule here: the service only through the SDK (packages/sdk/src), nothing of
    // the libs or the other apps.
    files: ['apps/dashboard/**/*.{ts,tsx,mts}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@tally/|/(libs|migrations|test)/|/apps/(?!dashboard/)|^(\\.\\./){2,}(?!(\\.\\./)*packages/sdk/src/)',
              message: 'the dashboard imports its own files and the SDK (packages/sdk/src) only',
            },
          ],
        },
      ],
    },
  },
);
