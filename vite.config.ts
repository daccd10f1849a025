import { defineConfig } from 'vitest/config';
import type { PluginOption } from 'vite';

/**
 * One Vite config: the SvelteKit build of web/ and the test projects.
 * Server-side tests run without the SvelteKit plugin; each names its own
 * project so a run shows which database a suite ran on.
 */
const isTest = Boolean(process.env.VITEST);

async function webPlugins(): Promise<PluginOption[]> {
  if (isTest) return [];
  const { sveltekit } = await import('@sveltejs/kit/vite');
  return [sveltekit()];
}

// The server `vite dev` proxies the API to.
const devApi = (process.env.VIGIL_BASE_URL ?? 'http://localhost:8080').replace(/\/+$/, '');

// Vite resolves `graphql` to its .mjs build while externalised Pothos loads the .js
// one: "Cannot use GraphQLObjectType from another module or realm". Pin one copy.
const serverAlias = [{ find: /^graphql$/, replacement: 'graphql/index.js' }];
const integration = ['test/integration/**/*.test.ts'];

export default defineConfig(async () => ({
  plugins: await webPlugins(),
  // `vite dev` serves web/ and proxies the API to a running server (VIGIL_BASE_URL,
  // default http://localhost:8080). The socket's Origin is rewritten to the
  // server's own: it accepts the session cookie only from that origin.
  server: {
    proxy: {
      '/graphql': { target: devApi, ws: true, changeOrigin: true, headers: { origin: devApi } },
      '/agent': { target: devApi, ws: true, changeOrigin: true },
    },
  },
  test: {
    projects: [
      {
        resolve: { alias: serverAlias },
        test: { name: 'unit', include: ['test/server/**/*.test.ts', 'test/agent/**/*.test.ts', 'test/prisma/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        resolve: { alias: serverAlias },
        test: { name: 'sqlite', include: integration, env: { VIGIL_TEST_PROVIDER: 'sqlite' }, testTimeout: 90_000, hookTimeout: 90_000 },
      },
      {
        resolve: { alias: serverAlias },
        test: { name: 'postgres', include: integration, env: { VIGIL_TEST_PROVIDER: 'postgresql' }, testTimeout: 90_000, hookTimeout: 90_000 },
      },
      {
        resolve: { alias: serverAlias },
        test: { name: 'cluster', include: ['test/cluster/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
      },
      {
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
      },
    ],
  },
}));
