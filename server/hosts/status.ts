import type { Host } from '../../prisma/generated/sqlite/client.ts';

/** What the API shows for a host: stored status reinterpreted by its always-on mode. */
export type HostDisplayStatus = 'ONLINE' | 'OFFLINE' | 'ASLEEP' | 'NEVER_SEEN';

/** displayStatus: an offline intermittent host is asleep, not offline. */
export function displayStatus(host: Pick<Host, 'status' | 'alwaysOn'>): HostDisplayStatus {
  if (host.status === 'online') return 'ONLINE';
  if (host.status === 'never_seen') return 'NEVER_SEEN';
  return host.alwaysOn ? 'OFFLINE' : 'ASLEEP';
}

/** statusWhere is the database filter for one display status. */
export function statusWhere(status: HostDisplayStatus): { status: string; alwaysOn?: boolean } {
  switch (status) {
    case 'ONLINE':
      return { status: 'online' };
    case 'NEVER_SEEN':
      return { status: 'never_seen' };
    case 'OFFLINE':
      return { status: 'offline', alwaysOn: true };
    case 'ASLEEP':
      return { status: 'offline', alwaysOn: false };
  }
}

/** parseJsonList reads a JSON string-array column. */
export function parseJsonList(value: string | null | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
