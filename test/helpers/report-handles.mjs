/**
 * Preloaded into a CLI under test (node --import): once the CLI has set process.exitCode (its work
 * is done), print on stderr what still keeps the process alive - a timer left behind would hold it
 * open (Prisma's engine once kept one for 10 s). A process that ends at once prints nothing.
 */
const watch = setInterval(() => {
  if (process.exitCode === undefined) return;
  clearInterval(watch);
  setImmediate(() => process.stderr.write(`\nACTIVE-AFTER-EXIT-CODE ${JSON.stringify(process.getActiveResourcesInfo())}\n`));
}, 10);
watch.unref();
