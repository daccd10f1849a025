import { graphql, type ResultOf } from '$lib/graphql.ts';

/** Event triggers (admin only): their fields, the list, the editor's mutations, the test send and the delivery log. */
export const TriggerFieldsFragment = graphql(`
  fragment TriggerFields on EventTrigger @_unmask {
    id name enabled severities sources messagePattern url secretSet lastFiredAt failing failureCount lastError version createdAt updatedAt
  }
`);

export const TriggerDeliveryFragment = graphql(`
  fragment TriggerDelivery on Delivery @_unmask {
    id event eventId ok statusCode latencyMs error firedAt attempt
  }
`);

export const TriggersQuery = graphql(`
  query EventTriggers {
    eventTriggers {
      ...TriggerFields
      deliveries { ...TriggerDelivery }
    }
  }
`, [TriggerFieldsFragment, TriggerDeliveryFragment]);

/** One trigger: the API lists triggers (there is no single-trigger query); its deliveries come paged. */
export const TriggerQuery = graphql(`
  query EventTrigger($id: ID!) {
    eventTriggers { ...TriggerFields }
    deliveries(triggerId: $id, first: 30) { totalCount edges { node { ...TriggerDelivery } } }
  }
`, [TriggerFieldsFragment, TriggerDeliveryFragment]);

export const CreateTrigger = graphql(`
  mutation CreateEventTrigger($input: EventTriggerInput!) { createEventTrigger(input: $input) { ...TriggerFields } }
`, [TriggerFieldsFragment]);

export const UpdateTrigger = graphql(`
  mutation UpdateEventTrigger($id: ID!, $input: EventTriggerUpdateInput!) { updateEventTrigger(id: $id, input: $input) { ...TriggerFields } }
`, [TriggerFieldsFragment]);

export const DeleteTrigger = graphql(`
  mutation DeleteEventTrigger($id: ID!) { deleteEventTrigger(id: $id) }
`);

/** testEventTrigger: one synthetic event.test now, without retry; the logged attempt comes back. */
export const TestTrigger = graphql(`
  mutation TestEventTrigger($id: ID!) {
    testEventTrigger(id: $id) { id ok statusCode latencyMs error firedAt }
  }
`);

export type Trigger = ResultOf<typeof TriggerFieldsFragment>;
export type TriggerDelivery = ResultOf<typeof TriggerDeliveryFragment>;
