import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType, isInputObjectType, type GraphQLNamedType } from 'graphql';
import { ROOT } from '../../helpers/server.ts';

/** schema.graphql is what integrators read: it must hold the API.md contract. */
const schema = buildSchema(fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'));

const OPERATIONS = {
  Query: ['me', 'hosts', 'host', 'alerts', 'alert', 'alertCounts', 'channels', 'channel', 'deliveries', 'jobs', 'events', 'eventTriggers', 'logScanRules', 'effectiveLogScanRules', 'logScannerStats', 'auditLog'],
  Mutation: [
    'login', 'logout', 'createApiToken', 'enrollHost', 'updateHost', 'rotateAgentToken', 'deleteHost',
    'createSchedule', 'updateSchedule', 'deleteSchedule', 'runJob', 'acknowledgeAlert', 'resolveAlert',
    'createChannel', 'updateChannel', 'deleteChannel', 'testChannel',
    'createEventTrigger', 'updateEventTrigger', 'deleteEventTrigger', 'testEventTrigger',
    'createLogScanRule', 'updateLogScanRule', 'deleteLogScanRule', 'testLogScanRule',
  ],
  Subscription: ['alertChanged', 'hostChanged', 'jobChanged', 'eventLogged'],
};

const FIELDS: Record<string, string[]> = {
  Alert: ['id', 'kind', 'severity', 'status', 'message', 'dedupKey', 'host', 'createdAt', 'lastSeenAt', 'occurrences', 'acknowledgedAt', 'acknowledgedBy', 'resolvedAt', 'deliveries'],
  Host: ['id', 'name', 'status', 'alwaysOn', 'lastSeenAt', 'lastBackupAt', 'agentVersion', 'os', 'arch', 'tags', 'scheduleVersion', 'appliedScheduleVersion', 'schedules', 'openAlertCount'],
  Channel: ['id', 'name', 'kind', 'enabled', 'lastFiredAt', 'config'],
  Delivery: ['id', 'channel', 'alert', 'event', 'ok', 'statusCode', 'latencyMs', 'error', 'firedAt', 'attempt'],
  AlertCounts: ['open', 'acknowledged', 'resolvedLast24h', 'openCritical'],
  AlertChange: ['type', 'alert'],
  EnrolledHost: ['host', 'agentToken'],
  CreatedApiToken: ['token', 'apiToken'],
  WebhookConfig: ['url', 'bearerToken', 'bearerTokenSet', 'headerName', 'headerValue', 'headerValueSet'],
  NtfyConfig: ['serverUrl', 'topic', 'accessToken', 'accessTokenSet', 'defaultPriority'],
  SmtpConfig: ['host', 'port', 'encryption', 'username', 'password', 'passwordSet', 'from', 'to'],
  EnrollHostInput: ['name', 'alwaysOn', 'tags'],
  UpdateHostInput: ['name', 'alwaysOn', 'tags'],
  CreateScheduleInput: ['hostId', 'kind', 'cron', 'timezone', 'paths', 'excludes', 'tags', 'retention', 'enabled'],
  ChannelInput: ['name', 'enabled', 'webhook', 'ntfy', 'smtp'],
  WebhookConfigInput: ['url', 'bearerToken', 'headerName', 'headerValue'],
  NtfyConfigInput: ['serverUrl', 'topic', 'accessToken', 'defaultPriority'],
  SmtpConfigInput: ['host', 'port', 'encryption', 'username', 'password', 'from', 'to'],
  AlertFilter: ['status', 'severity', 'hostId', 'kind', 'search'],
  EventFilter: ['sources', 'severities', 'hostId', 'search'],
  EventTriggerInput: ['name', 'enabled', 'severities', 'sources', 'messagePattern', 'url', 'secret'],
  LogScanRuleInput: ['name', 'pattern', 'severity', 'stream', 'cooldownSeconds', 'enabled', 'hostId', 'overridesRuleId'],
  LogScanTestResult: ['matched', 'captures'],
  LogCapture: ['name', 'value'],
};

function fieldsOf(type: GraphQLNamedType | undefined): string[] {
  if (isObjectType(type) || isInputObjectType(type)) return Object.keys(type.getFields());
  return [];
}

describe('schema.graphql', () => {
  it.each(Object.entries(OPERATIONS))('has every API.md %s operation', (root, names) => {
    expect(fieldsOf(schema.getType(root))).toEqual(expect.arrayContaining(names));
  });

  it.each(Object.entries(FIELDS))('has the API.md fields of %s', (type, names) => {
    expect(fieldsOf(schema.getType(type))).toEqual(expect.arrayContaining(names));
  });

  it('uses UPPER_CASE enums as API.md lists them', () => {
    const values = (name: string) => (schema.getType(name) as unknown as { getValues(): { name: string }[] }).getValues().map((v) => v.name).sort();
    expect(values('AlertStatus')).toEqual(['ACKNOWLEDGED', 'OPEN', 'RESOLVED']);
    expect(values('Severity')).toEqual(['CRITICAL', 'INFO', 'WARNING']);
    expect(values('HostStatus')).toEqual(['ASLEEP', 'NEVER_SEEN', 'OFFLINE', 'ONLINE']);
    expect(values('AlertChangeType')).toEqual(['ACKNOWLEDGED', 'RAISED', 'RESOLVED', 'TOUCHED']);
    expect(values('SmtpEncryption')).toEqual(['NONE', 'STARTTLS', 'TLS']);
    expect(values('JobKind')).toEqual(['BACKUP', 'CHECK', 'FORGET', 'INIT', 'PRUNE', 'UNLOCK']);
  });
});
