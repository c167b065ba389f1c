// ESLint (flat config), run by `npm run lint` and by `npm test` before Jest.
// TypeScript gets typescript-eslint's recommended type-aware rules, through the one tsconfig.json
// that also drives `tsc`; the Node scripts get ESLint's recommended rules.
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', '.tools/', 'data/', 'coverage/', '.test-data/'] },

  // A disabled rule must say why (`// eslint-disable-next-line rule -- reason`), and a disable
  // that no longer suppresses anything is itself an error.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  comments.recommended,
  { rules: { '@eslint-community/eslint-comments/require-description': 'error' } },

  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'workflows/**/*.ts', 'test/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Off: an `async` method without `await` is how this code implements a Promise-returning
      // contract synchronously (the EventStore port over synchronous SQLite, AutomatedAction.run,
      // Temporal workflows, Mercurius hooks, test doubles): it turns a synchronous throw into a
      // rejection, which callers rely on; dropping `async` as the rule asks would change that.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed names are the conventional "deliberately unused" (destructuring a field away,
      // a callback's leading parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The domain's rules and the workflows are read most and must be taken in at once: no function of
    // theirs reaches 80 lines (nested functions count towards the one that holds them).
    files: ['libs/domain/src/**/*.ts', 'workflows/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: { 'max-lines-per-function': ['error', { max: 79 }] },
  },
  {
    // Jest's `expect(mock.method).toHaveBeenCalled()` passes methods unbound on purpose: it never calls them.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      // @types/jest types the asymmetric matchers (expect.any, expect.objectContaining, ...) as `any`,
      // so every expected-value literal or toThrow() argument that uses one trips these two. Reading
      // an `any` (member access, call, return) stays an error in specs too.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },

  {
    files: ['scripts/**/*.mjs', 'scripts/**/*.js', 'eslint.config.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: globals.node },
  },
);
