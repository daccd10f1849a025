/**
 * The command an operator pastes on a host to start the reference agent
 * (agent/config.ts: VIGIL_SERVER, VIGIL_AGENT_TOKEN). The token goes in the
 * environment rather than argv, where `ps` would show it.
 */
export function agentCommand(token: string, serverUrl = location.origin): string {
  return `VIGIL_SERVER=${serverUrl} VIGIL_AGENT_TOKEN=${token} npm run agent`;
}
