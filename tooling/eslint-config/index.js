// Shared lint rules: the recommended sets, plus what keeps tfjs code honest.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // vendor/ holds generated bundles (see packages/core/scripts/bundle-gradients.mjs).
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Packages run in Node and in browsers; scripts and bins in Node.
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
);
