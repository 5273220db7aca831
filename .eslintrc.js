// ESLint 8 loads this file with require(); the package is an ES module, so the
// configuration is handed over under Node's "module.exports" export name.
const config = {
  root: true,
  parser: '@typescript-eslint/parser',
  parserOptions: { project: './tsconfig.json', tsconfigRootDir: process.cwd(), sourceType: 'module' },
  plugins: ['@typescript-eslint'],
  extends: [
    'eslint:recommended',
    'plugin:@typescript-eslint/recommended',
    'plugin:@typescript-eslint/recommended-type-checked',
    'prettier',
  ],
  env: { node: true, es2022: true, jest: true },
  ignorePatterns: ['dist/', 'node_modules/', '*.js'],
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/explicit-module-boundary-types': 'off',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    '@typescript-eslint/unbound-method': 'off',
  },
  overrides: [
    {
      // The demo page's browser modules: their own TypeScript project (DOM, no Node).
      files: ['web/**/*.ts'],
      parserOptions: { project: './web/tsconfig.json' },
      env: { browser: true, node: false, jest: false },
    },
    {
      // The client package (client/): browser modules in their own TypeScript project.
      files: ['client/**/*.ts'],
      parserOptions: { project: './client/tsconfig.json' },
      env: { browser: true, node: false, jest: false },
    },
  ],
};
export { config as 'module.exports' };
