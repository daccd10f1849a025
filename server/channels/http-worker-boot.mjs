// Entry of the delivery thread: plain JavaScript, so it starts the same way
// under `npm start` (tsx) and in tests, then loads the TypeScript through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./http-worker.ts', import.meta.url);
