import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * The operator UI is a static SPA: adapter-static writes build/ with an
 * index.html fallback that the Vigil server serves (sirv single mode) at `/`.
 * The app lives in web/ (kit.files.src) so the repo keeps its top-level layout.
 */
/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: false }),
    files: { src: 'web', assets: 'web/static' },
  },
};
