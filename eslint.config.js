import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'packages/contracts/src/gen/**', '.data/**', '.tools/**', 'charts/**/templates/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The domain is pure: no I/O libraries in deciders (docs/adr/0001).
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['kafkajs', 'pg', 'fastify', '@grpc/*', '@mikro-orm/*', 'node:fs', 'node:net', 'node:http'] }],
    },
  },
);
