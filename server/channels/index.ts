import type { ChannelKind } from './define.ts';
import { webhook } from './webhook.ts';
import { ntfy } from './ntfy.ts';
import { smtp } from './smtp.ts';

/** The channel kinds. Adding one is a file in this folder plus one line here. */
export const CHANNELS = { webhook, ntfy, smtp } as const;

export type ChannelKindName = keyof typeof CHANNELS;
export const CHANNEL_KINDS = Object.keys(CHANNELS) as ChannelKindName[];

/** channelKind returns the definition of a stored kind, or undefined for an unknown one. */
export function channelKind(kind: string): ChannelKind<Record<string, unknown>> | undefined {
  return (CHANNELS as unknown as Record<string, ChannelKind<Record<string, unknown>>>)[kind];
}

export { SECRET_PLACEHOLDER } from './define.ts';
