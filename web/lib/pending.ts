import { gql, type AnyVariables, type TypedDocumentNode } from '@urql/core';

/**
 * pending: a document for an operation API.md names but schema.graphql does
 * not publish yet (runJob, testChannel, jobChanged...). Typed by hand;
 * web/check-documents.mjs lists them and says when the schema catches up, at
 * which point the document moves to graphql() and its hand-written types go.
 */
export function pending<Data, Vars extends AnyVariables = Record<string, never>>(source: string): TypedDocumentNode<Data, Vars> {
  return gql(source) as TypedDocumentNode<Data, Vars>;
}
