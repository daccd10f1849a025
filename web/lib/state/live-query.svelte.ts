import type { AnyVariables, Client, CombinedError, TypedDocumentNode } from '@urql/core';
import { connection } from './connection.svelte.ts';

/**
 * A query result kept live: seeded by a +page.ts load, refetched (debounced)
 * when a subscription says something changed or the socket comes back, and
 * patched in place for instant feedback. Responses for stale variables are
 * dropped, so a fast typist never sees an older search win.
 */
export class LiveQuery<Data, Vars extends AnyVariables> {
  data = $state<Data | undefined>(undefined);
  error = $state<CombinedError | null>(null);
  fetching = $state(false);

  #client: Client;
  #doc: TypedDocumentNode<Data, Vars>;
  #vars: Vars;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: Client, doc: TypedDocumentNode<Data, Vars>, vars: Vars, initial?: Data) {
    this.#client = client;
    this.#doc = doc;
    this.#vars = vars;
    this.data = initial;
  }

  get vars(): Vars {
    return this.#vars;
  }

  /** reset switches to new variables, with their data when a load already fetched it. */
  reset(vars: Vars, data?: Data) {
    this.#vars = vars;
    this.#seq++;
    // An error of the old variables (a deleted host's NOT_FOUND) says nothing about the new ones.
    this.error = null;
    if (data !== undefined) this.data = data;
    else void this.fetchNow();
  }

  /** refetch soon; several events in a burst cost one request. */
  refetch(delayMs = 150) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.fetchNow(), delayMs);
  }

  async fetchNow(): Promise<void> {
    const seq = ++this.#seq;
    this.fetching = true;
    const result = await this.#client.query(this.#doc, this.#vars, { requestPolicy: 'network-only' }).toPromise();
    if (seq !== this.#seq) return;
    this.fetching = false;
    this.error = result.error ?? null;
    if (result.data) this.data = result.data;
  }

  /**
   * patched: `data` was just changed in place (a mutation's answer, a live event). A fetch still
   * in flight was asked before that change and would put the older state back when it lands:
   * it is dropped, and a fresh one follows.
   */
  patched() {
    if (!this.fetching) return;
    this.#seq++;
    this.fetching = false;
    this.refetch();
  }

  /**
   * live subscribes to `doc`; `onEvent` patches `data` and returns true to ask
   * for a refetch. Returns the cleanup for a $effect.
   */
  live<SubData, SubVars extends AnyVariables>(doc: TypedDocumentNode<SubData, SubVars>, vars: SubVars, onEvent: (event: SubData) => boolean | void): () => void {
    const sub = this.#client.subscription(doc, vars).subscribe((result) => {
      if (result.data && onEvent(result.data)) this.refetch();
    });
    // Catch up once the subscription is in place: a change between the load's
    // query and the server registering this subscription reaches no one.
    this.refetch(400);
    const offReconnect = connection.onReconnect(() => this.refetch(0));
    return () => {
      sub.unsubscribe();
      offReconnect();
      clearTimeout(this.#timer);
    };
  }
}
