import type { Client } from '@urql/core';
import { AcknowledgeAlert, ResolveAlert, type AlertItem } from '$lib/alerts.ts';
import { errorText } from '$lib/errors.ts';
import { kindLabel } from '$lib/labels.ts';

/**
 * Acknowledge or resolve many alerts: one mutation per alert, one at a time
 * (the server audits and notifies each), with progress as it goes and a
 * summary that names every alert the server refused and why.
 */
export type BulkVerb = 'ack' | 'resolve';

export interface BulkFailure {
  id: string;
  label: string;
  reason: string;
}

export const BULK_TEXT: Record<BulkVerb, { running: string; done: string }> = {
  ack: { running: 'Acknowledging', done: 'Acknowledged' },
  resolve: { running: 'Resolving', done: 'Resolved' },
};

/** alertLabel names an alert in a summary: "db-01 · backup failed". */
export function alertLabel(a: Pick<AlertItem, 'kind' | 'host'>): string {
  return `${a.host.name} · ${kindLabel(a.kind)}`;
}

export class BulkRun {
  verb = $state<BulkVerb>('ack');
  running = $state(false);
  total = $state(0);
  finished = $state(0);
  succeeded = $state(0);
  failures = $state<BulkFailure[]>([]);
  /** a summary to show (cleared by dismiss or the next run) */
  reported = $state(false);

  #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  /** run sends the mutation for each alert in turn; `onchanged` gets every alert the server returns. */
  async run(verb: BulkVerb, alerts: AlertItem[], onchanged: (a: AlertItem) => void): Promise<void> {
    if (this.running || alerts.length === 0) return;
    this.verb = verb;
    this.running = true;
    this.reported = true;
    this.total = alerts.length;
    this.finished = 0;
    this.succeeded = 0;
    this.failures = [];
    for (const alert of alerts) {
      const result = verb === 'ack'
        ? await this.#client.mutation(AcknowledgeAlert, { id: alert.id }).toPromise().then((r) => ({ error: r.error, alert: r.data?.acknowledgeAlert }))
        : await this.#client.mutation(ResolveAlert, { id: alert.id }).toPromise().then((r) => ({ error: r.error, alert: r.data?.resolveAlert }));
      if (result.alert) {
        this.succeeded++;
        onchanged(result.alert);
      } else {
        const code = result.error?.graphQLErrors[0]?.extensions?.code;
        const reason = errorText(result.error) ?? 'no answer';
        this.failures.push({ id: alert.id, label: alertLabel(alert), reason: typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' ? `${reason} (${code})` : reason });
      }
      this.finished++;
    }
    this.running = false;
  }

  dismiss() {
    if (!this.running) this.reported = false;
  }
}
