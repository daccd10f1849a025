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
  ip?: string;
  /** cookies the response should set (login/logout over HTTP) */
  cookies: CookieToSet[];
}
