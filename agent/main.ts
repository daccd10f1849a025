import { ConfigError, parseConfig } from './config.ts';
import { startAgent } from './agent.ts';
import { createLogger } from './log.ts';

/**
 * The reference agent's entry point:
 *   npm run agent -- --server http://host:8080 --token vga_...
 * (or VIGIL_SERVER / VIGIL_AGENT_TOKEN), with RESTIC_REPOSITORY and
 * RESTIC_PASSWORD[_FILE] in the environment. SIGTERM/SIGINT stop it cleanly.
 */
let config;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  if (err.exitCode === 0) process.stdout.write(`${err.message}\n`);
  else process.stderr.write(`vigil-agent: ${err.message}\n`);
  process.exit(err.exitCode);
}

const log = createLogger(config.logLevel);
const agent = await startAgent(config, log);
log.info('agent started', { server: config.server, stateDir: config.stateDir });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    agent.stop().then(
      () => process.exit(0),
      (err: Error) => (log.error('stop failed', { error: err.message }), process.exit(1)),
    );
  });
}
