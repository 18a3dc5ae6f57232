// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Imports that would run against the dependency direction core <- runtime <- elements <- apps. */
const boundaries = {
  'packages/core/src/**/*.ts': [
    '@genviz/runtime',
    '@genviz/elements',
    '@genviz/models',
    'lit',
    'lit/*',
    'onnxruntime-web',
    'onnxruntime-node',
    'comlink',
  ],
  'packages/runtime/src/**/*.ts': ['@genviz/elements', 'lit', 'lit/*'],
  'packages/elements/src/**/*.ts': ['onnxruntime-web', 'onnxruntime-node', 'onnxruntime-common'],
};

const directionMessage =
  'This import goes against the package dependency direction (core <- runtime <- elements <- apps).';

/**
 * Elements' modules register nothing on import (index.ts's rule): only a `define` module, a story
 * or a test may import a `define` module. ESLint keeps one `no-restricted-imports` per file, so
 * this entry repeats the elements' direction rule beside it.
 */
const elementModules = {
  files: ['packages/elements/src/**/*.ts'],
  ignores: ['**/define.ts', '**/*.stories.ts', '**/*.test.ts', 'packages/elements/src/testing/**'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...boundaries['packages/elements/src/**/*.ts'].map((group) => ({
            group: [group],
            message: directionMessage,
          })),
          {
            group: ['**/define.js', '**/define'],
            message:
              'Importing a define module registers custom elements: only define.ts files, stories and tests do that.',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/assets/**',
      '**/storybook-static/**',
      '**/.turbo/**',
      'models/**',
      '**/custom-elements.json',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // tsconfig.test.json files cover sources and tests; tsconfig.eslint.json the rest.
        project: [
          'packages/*/tsconfig.test.json',
          'tools/*/tsconfig.test.json',
          'tsconfig.eslint.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  ...Object.entries(boundaries).map(([files, forbidden]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((group) => ({ group: [group], message: directionMessage })),
        },
      ],
    },
  })),
  elementModules,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-console': 'off' },
  },
  {
    // CLI and benchmark scripts print by design.
    files: [
      'tools/model-export/src/cli.ts',
      'tools/model-export/src/cli/**/*.ts',
      '**/bench/**',
      'scripts/**',
    ],
    rules: { 'no-console': 'off' },
  },
);
