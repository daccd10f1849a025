import { gql, type Client, type TypedDocumentNode } from '@urql/core';

/**
 * What this server publishes beyond schema.graphql's snapshot, asked once by
 * introspection: the UI offers an operation only when the server knows it,
 * so an older server never sees a query it would reject.
 */
type Fields = { fields: Array<{ name: string }> | null } | null;
// Introspection is outside gql.tada's types: typed by hand.
const CapabilitiesQuery: TypedDocumentNode<{ mutation: Fields; subscription: Fields; job: Fields }, Record<string, never>> = gql`
  query Capabilities {
    mutation: __type(name: "Mutation") { fields { name } }
    subscription: __type(name: "Subscription") { fields { name } }
    job: __type(name: "Job") { fields { name } }
  }
`;

export interface Capabilities {
  mutations: Set<string>;
  subscriptions: Set<string>;
  jobFields: Set<string>;
}

let cached: Promise<Capabilities> | undefined;

function names(t: Fields | undefined): Set<string> {
  return new Set((t?.fields ?? []).map((f) => f.name));
}

/** capabilities resolves once per page load. */
export function capabilities(client: Client): Promise<Capabilities> {
  cached ??= client
    .query(CapabilitiesQuery, {})
    .toPromise()
    .then((r) => ({ mutations: names(r.data?.mutation), subscriptions: names(r.data?.subscription), jobFields: names(r.data?.job) }));
  return cached;
}
