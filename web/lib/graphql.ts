import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

/**
 * Typed GraphQL documents against schema.graphql. `npm run check:web`
 * regenerates graphql-env.d.ts and runs `gql.tada check`, which fails on
 * unknown fields. Keep documents in .ts files so the check sees them.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSON: unknown; ID: string };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
