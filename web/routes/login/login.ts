import { graphql } from '$lib/graphql.ts';

export const LoginMutation = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) { id username role }
  }
`);
