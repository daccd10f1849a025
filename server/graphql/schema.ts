import { builder } from './builder.ts';
import './scalars.ts';
import './users.ts';
import './hosts.ts';
import './schedules.ts';
import './jobs.ts';
import './alerts.ts';
import './channels.ts';
import './deliveries.ts';
import './audit.ts';
import './events.ts';
import './triggers.ts';
import './logscan.ts';

/** The GraphQL schema: the domain files register their types; this only assembles them. */
export const schema = builder.toSchema();
