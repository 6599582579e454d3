// ESLint flat config: typescript-eslint's recommended (type-unaware) rules over every TypeScript and
// JavaScript file of the repository, with the few choices this code base makes spelled out below.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.gpu/**', 'node_modules/**', 'data/**', 'clients/python/**', 'models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // Unused names are errors, except a leading underscore, which marks a parameter an interface
      // requires but this implementation does not read, or a destructured key left out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_',
        ignoreRestSiblings: true,
      }],
      // `let [x0, eps] = ...` where only x0 is clamped afterwards reads better than splitting the
      // destructuring into a const and a let; flag a `let` destructuring only when nothing in it changes.
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  {
    // Tests read records, manifests and COCO files back from disk with JSON.parse and assert on their
    // fields: typing each parsed file would restate the writers' types for no extra check.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
