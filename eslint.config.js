// ESLint over src/, test/, bench/ and bin/: typescript-eslint's type-checked recommended rules, plus the
// type-aware rules that catch this code base's likely bugs. Formatting is Prettier's (npm run lint runs both).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'fixtures/',
      'weights/',
      'docs/',
      'asm/',
      'test/**/sample*/',
      // The runner sample projects: plain JavaScript run by the runners; their types.ts compile in the
      // packed-package test.
      'test/runners/*-sample/',
      '.runners-tmp/',
      // scripts/: its shell and plain JavaScript helpers; its TypeScript (docs.ts) is compiled and linted.
      'scripts/**/*.js',
      'scripts/**/*.mjs',
      'scripts/**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['bin/*.js', 'eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The bugs this code base could have: a promise nobody awaits (a write that may fail unseen, a worker
      // message handled out of order), a promise where a callback's void is expected, a condition the types
      // say is always true or false (dead code or a wrong type), awaiting what is not a promise.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // tfjs ops return Tensor<Rank>; this code states the rank with `as Tensor4D`, which the rule wants
      // moved into a type argument: the same claim written differently, no bug caught.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // An async function without await is deliberate here: a synchronous throw becomes a rejection the
      // caller awaits (backend loaders and probes).
      '@typescript-eslint/require-await': 'off',
      // An argument named _x is there for its position (a callback's signature), not for use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['src/**'],
    rules: {
      // Functions that fit a screen (the project's rule since its start).
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  { files: ['bin/*.js', '*.js', '*.cjs'], languageOptions: { globals: globals.node } },
  // The report page's script (bundled by scripts/build-web.js): browser globals, no Node.
  { files: ['src/web/**'], languageOptions: { globals: globals.browser } },
  // The tool configs are untyped CommonJS: lint them without type information.
  {
    files: ['*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      // Tests and the bench parse the CLI's JSON output (JSON.parse gives any) and check fields one by one:
      // typing each output shape twice would add nothing the assertions do not already check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Assertion messages print arrays and tuples as they are.
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
    },
  },
);
