import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.ts';

/** DateTime: ISO-8601 in UTC. Accepts Dates and ISO strings (Redis-relayed payloads) on output. */
builder.scalarType('DateTime', {
  description: 'An ISO-8601 instant in UTC, e.g. 2026-05-04T15:42:01.000Z',
  serialize: (value) => {
    const d = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(d.getTime())) throw new GraphQLError('invalid DateTime');
    return d.toISOString();
  },
  parseValue: (value) => {
    const d = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    return d;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return new Date(ast.value);
  },
});

builder.scalarType('JSON', {
  description: 'Arbitrary JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
});
