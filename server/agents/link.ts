/**
 * How the domain reaches agents without knowing about sockets: the agent
 * endpoint (or, with several instances, the router in front of it) implements it.
 */
export interface ServerFrame {
  type: string;
  payload: unknown;
  id?: string;
}

export interface AgentLink {
  /** isConnected: does some instance hold a live socket for this host? */
  isConnected(hostId: string): boolean | Promise<boolean>;
  /** send writes a frame to the host's socket; resolves false when none is connected here or anywhere. */
  send(hostId: string, frame: ServerFrame): Promise<boolean>;
  /** disconnect closes the host's socket (token rotated, host deleted). */
  disconnect(hostId: string, code: number, reason: string): Promise<void>;
}

/** A link with no agents behind it (before the agent endpoint starts, and in unit tests). */
export const noAgents: AgentLink = {
  isConnected: () => false,
  send: async () => false,
  disconnect: async () => undefined,
};
