import { graphql, type ResultOf } from '$lib/graphql.ts';

/** Users and API tokens (admin only). */
export const UsersQuery = graphql(`
  query UsersAndTokens {
    users { id username role createdAt lastLoginAt }
    apiTokens { id name role prefix createdAt lastUsedAt revokedAt owner { username } }
  }
`);

export const CreateUser = graphql(`
  mutation CreateUser($username: String!, $password: String!, $role: Role!) {
    createUser(username: $username, password: $password, role: $role) { id }
  }
`);

export const UpdateUserRole = graphql(`
  mutation UpdateUserRole($id: ID!, $role: Role!) { updateUser(id: $id, role: $role) { id role } }
`);

/** An admin sets another user's password; that user's sessions end. */
export const ResetUserPassword = graphql(`
  mutation ResetUserPassword($id: ID!, $password: String!) { updateUser(id: $id, password: $password) { id } }
`);

export const DeleteUser = graphql(`
  mutation DeleteUser($id: ID!) { deleteUser(id: $id) }
`);

export const CreateApiToken = graphql(`
  mutation CreateApiToken($name: String!, $role: Role!) {
    createApiToken(name: $name, role: $role) { token apiToken { id name } }
  }
`);

export const RevokeApiToken = graphql(`
  mutation RevokeApiToken($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }
`);

export type UsersData = ResultOf<typeof UsersQuery>;
export const ROLES = ['VIEWER', 'OPERATOR', 'ADMIN'] as const;
