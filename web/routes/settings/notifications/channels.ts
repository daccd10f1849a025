import { graphql, type ResultOf } from '$lib/graphql.ts';

/** Notification channels: their fields, the list, the editor's mutations and the delivery log. */
export const ChannelFieldsFragment = graphql(`
  fragment ChannelFields on Channel @_unmask {
    id name kind enabled lastFiredAt lastError lastErrorAt failing failureCount createdAt updatedAt
    config {
      __typename
      ... on WebhookConfig { url bearerTokenSet headerName headerValueSet }
      ... on NtfyConfig { serverUrl topic accessTokenSet defaultPriority }
      ... on SmtpConfig { host port encryption username passwordSet from to verifyTls }
    }
  }
`);

export const DeliveryFieldsFragment = graphql(`
  fragment DeliveryFields on Delivery @_unmask {
    id event ok statusCode latencyMs error firedAt attempt
    channel { id name kind }
    trigger { id name }
    alert { id kind host { id name } }
  }
`);

/** How many deliveries a page of the log shows (and each "Load older" adds). */
export const LOG_PAGE = 50;

export const DeliveryPageFragment = graphql(`
  fragment DeliveryPage on DeliveryConnection @_unmask {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ...DeliveryFields } }
  }
`, [DeliveryFieldsFragment]);

/** The channels, and the newest page of the delivery log (of one channel with ?channel=). */
export const ChannelsQuery = graphql(`
  query Channels($channelId: ID, $first: Int!) {
    channels { ...ChannelFields }
    deliveries(channelId: $channelId, first: $first) { ...DeliveryPage }
  }
`, [ChannelFieldsFragment, DeliveryPageFragment]);

export const ChannelQuery = graphql(`
  query Channel($id: ID!, $first: Int!) {
    channel(id: $id) { ...ChannelFields }
    deliveries(channelId: $id, first: $first) { ...DeliveryPage }
  }
`, [ChannelFieldsFragment, DeliveryPageFragment]);

/** The delivery log's older pages, after the last one shown. */
export const DeliveriesQuery = graphql(`
  query Deliveries($channelId: ID, $first: Int!, $after: String) {
    deliveries(channelId: $channelId, first: $first, after: $after) { ...DeliveryPage }
  }
`, [DeliveryPageFragment]);

export const CreateChannel = graphql(`
  mutation CreateChannel($input: ChannelInput!) { createChannel(input: $input) { ...ChannelFields } }
`, [ChannelFieldsFragment]);

export const UpdateChannel = graphql(`
  mutation UpdateChannel($id: ID!, $input: ChannelUpdateInput!) { updateChannel(id: $id, input: $input) { ...ChannelFields } }
`, [ChannelFieldsFragment]);

export const DeleteChannel = graphql(`
  mutation DeleteChannel($id: ID!, $confirmName: String!) { deleteChannel(id: $id, confirmName: $confirmName) }
`);

/** testChannel: one synthetic notification now, without retry; the logged attempt comes back. */
export const TestChannel = graphql(`
  mutation TestChannel($id: ID!) {
    testChannel(id: $id) { id ok statusCode latencyMs error firedAt }
  }
`);

export type Channel = ResultOf<typeof ChannelFieldsFragment>;
export type Delivery = ResultOf<typeof DeliveryFieldsFragment>;
export type DeliveryPage = ResultOf<typeof DeliveryPageFragment>;
export type ChannelKind = Channel['kind'];
