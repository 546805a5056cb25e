// @ts-check
import eslint from '@eslint/js';
import jest from 'eslint-plugin-jest';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// A path inside a package (`@nestjs/common/constants`, `typeorm/driver/...`) rather than its entry
// point. A package whose documented public API is a subpath would be excluded in the lookahead.
const DEEP_IMPORT = '^(?:@[^/]+/[^/]+|(?![.@/]|node:)[^/]+)/.';
// The same for esquery (no-restricted-syntax), whose regular expressions cannot hold a slash.
const DEEP_IMPORT_QUERY = `/${DEEP_IMPORT.replaceAll('/', '\\x2F')}/`;

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'build/**',
      'node_modules/**',
      'coverage/**',
      'test-output/**',
      '.data/**',
      'bench/.work/**',
      'eslint.config.mjs',
      'jest.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A dependency's private internals are used in src/lib/internals/ only (see its README).
    ignores: ['src/lib/internals/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: DEEP_IMPORT,
              message: 'Deep imports of a dependency go through src/lib/internals/.',
            },
          ],
          paths: [
            { name: 'pg-pool', message: "pg-pool's internals are used through src/lib/internals/pg-pool.ts." },
            { name: 'pg-protocol', message: 'pg-protocol is used through src/lib/internals/.' },
            {
              name: 'class-validator',
              importNames: ['getMetadataStorage', 'MetadataStorage'],
              message: "class-validator's metadata store is used through src/lib/internals/class-validator.ts.",
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          // The import rule above, for import(), typeof import() and require().
          selector: [
            `ImportExpression[source.value=${DEEP_IMPORT_QUERY}]`,
            `TSImportType[argument.literal.value=${DEEP_IMPORT_QUERY}]`,
            `CallExpression[callee.name='require'][arguments.0.value=${DEEP_IMPORT_QUERY}]`,
          ].join(', '),
          message: 'Deep imports of a dependency go through src/lib/internals/.',
        },
        {
          selector:
            'MemberExpression[property.name=/^(master|releasePostgresConnection|_idle|_remove|_clients|_pendingQueue)$/]',
          message: "TypeORM's driver and pg-pool's internals are used through src/lib/internals/.",
        },
        {
          selector: "MemberExpression[object.property.name='connection'][property.name='stream']",
          message: "pg's connection socket is used through src/lib/internals/pg.ts.",
        },
        {
          selector: "ClassDeclaration[superClass.name='Client'], ClassExpression[superClass.name='Client']",
          message: "A subclass of pg's Client lives in src/lib/internals/pg.ts (extend WatchableClient).",
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // A focused, skipped or assertion-free test turns CI green without testing anything.
    files: ['**/*.spec.ts', 'test/**/*-spec.ts'],
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/valid-expect': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*', 'assert*', 'request.**.expect'] }],
    },
  },
  // Plain Node scripts run before anything is built: linted, but outside the TypeScript project.
  { files: ['scripts/**/*.mjs', 'scripts/**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The production launcher (copied to dist/main.js) is CommonJS: it loads the bundle itself.
    files: ['scripts/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly', process: 'readonly', setImmediate: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
