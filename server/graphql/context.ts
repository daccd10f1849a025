import type { Services } from '../services.ts';
import type { Viewer } from '../users/roles.ts';

/** Per-request GraphQL context. */
export interface CookieToSet {
  name: string;
  value: string;
  maxAgeSeconds: number;
}

export interface GraphQLContext {
  services: Services;
  viewer: Viewer | null;
  /** an `Authorization: Bearer` token was sent and signs nobody in (unknown, revoked, or its owner gone) */
  badToken?: boolean;
  ip?: string;
  /** cookies the response should set (login/logout over HTTP) */
  cookies: CookieToSet[];
}
