/**
 * The state of the live socket, for the nav's indicator and for views that
 * must refetch after a reconnect (events published while we were away are lost).
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting';

class Connection {
  status = $state<ConnectionStatus>('idle');
  #listeners = new Set<() => void>();

  set(status: ConnectionStatus) {
    this.status = status;
  }

  /** reconnected tells every listener the socket is back after a drop. */
  reconnected() {
    for (const listener of this.#listeners) listener();
  }

  /** onReconnect registers a refetch; returns the unregister function. */
  onReconnect(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export const connection = new Connection();
