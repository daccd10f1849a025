import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { FieldError } from '../errors.ts';

/**
 * useErrorCodes gives the errors GraphQL itself raises for bad input the API's
 * vocabulary (API.md): BAD_USER_INPUT with `extensions.fields` naming the field,
 * as our own validation does. Three sources:
 * 1. validation of values written in the query (a wrong enum, a missing required
 *    input field, an unknown input field, a string where an Int goes);
 * 2. coercion of variables (the same mistakes sent as variables);
 * 3. the connection arguments Pothos checks (`first` negative, a cursor that is not one).
 * Paths follow our convention: input fields relative to the `input` argument
 * (`webhook.url`), other arguments by name (`first`, `confirmName`).
 */
export function useErrorCodes(): Plugin {
  return {
    // a GET whose `variables` or `extensions` is not JSON would fail inside Yoga as an internal error
    onRequestParse({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET') return;
      const fields = ['variables', 'extensions'].filter((name) => !isJsonOrAbsent(url.searchParams.get(name))).map((path) => ({ path, message: 'must be JSON' }));
      if (!fields.length) return;
      const body = { errors: [{ message: `invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, extensions: { code: 'BAD_USER_INPUT', fields } }] };
      endResponse(new fetchAPI.Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json; charset=utf-8' } }));
    },
    onValidate({ params }) {
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map((e) => validationError(e, params.documentAST)));
      };
    },
    // the last word on every HTTP result: an error still without a code (a query limit) gets GraphQL's validation code
    onResultProcess({ result, setResult }) {
      if (!result || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const single = result as ExecutionResult;
      if (single.errors?.some((e) => !e.extensions?.code)) setResult({ ...single, errors: single.errors.map(withValidationCode) });
    },
    onExecute({ args }) {
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => setResult(withCodes(result, args.document))) };
    },
    onSubscribe({ args }) {
      return { onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => setResult(withCodes(result, args.document))) };
    },
  };
}

/** unmapped: an error still to be given its code - none yet, or BAD_USER_INPUT without the fields it owes (Yoga's own, over WebSocket) */
const unmapped = (e: GraphQLError) => !e.extensions?.code || (e.extensions.code === 'BAD_USER_INPUT' && !e.extensions.fields);

function isJsonOrAbsent(value: string | null): boolean {
  if (value === null || value === '') return true;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

function withCodes(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  if (!result.errors?.some(unmapped)) return result;
  return { ...result, errors: result.errors.map((e) => (unmapped(e) ? executionError(e, document) : e)) };
}

function badUserInput(original: GraphQLError, fields: FieldError[]): GraphQLError {
  // `http` is Yoga's note to itself (the status); over WebSocket it would reach the client
  const { http: _status, ...extensions } = original.extensions ?? {};
  return new GraphQLError(original.message, { nodes: original.nodes, source: original.source, positions: original.positions, path: original.path, originalError: original.originalError, extensions: { ...extensions, code: 'BAD_USER_INPUT', fields } });
}

/**
 * withValidationCode: a query-shape error GraphQL raised without a code (a depth, alias or cost
 * limit). graphql-armor words its limits as "Syntax Error: ..." (they are not syntax errors: the
 * query parsed); the message keeps only what was exceeded.
 */
function withValidationCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  const message = error.message.replace(/^Syntax Error: (?=.*\blimit\b)/, '');
  return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } });
}

/**
 * socketErrors: what a graphql-ws client is told when its operation is refused before it runs
 * (parse, validation, query limits): the codes an HTTP client gets for the same query, without
 * Yoga's note of the HTTP status it would have answered with.
 */
export function socketErrors(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map((error) => {
    const coded = withValidationCode(error);
    if (!coded.extensions?.http) return coded;
    const { http: _status, ...extensions } = coded.extensions;
    return new GraphQLError(coded.message, { nodes: coded.nodes, source: coded.source, positions: coded.positions, path: coded.path, originalError: coded.originalError, extensions });
  });
}

/** The messages graphql-js and Pothos use for input that does not fit the schema. */
const MISSING_FIELD = /^Field "(?:[^".]+\.)?([^"]+)" of required type "[^"]+" was not provided/;
const UNKNOWN_FIELD = /^Field "([^"]+)" is not defined by type/;
const MISSING_ARGUMENT = /^(?:Argument "([^"]+)" of required type "[^"]+" was not provided|Field "[^"]+" argument "([^"]+)" of type "[^"]+" is required)/;
const BAD_ARGUMENT = /^Arguments? "([^"]+)"/;
const BAD_CURSOR = /^(Invalid cursor|Cursor must be a string)/;
const VARIABLE = /^Variable "\$([^"]+)" (?:got invalid value .*?(?: at "([^"]+)")?; (.*)|of required type "[^"]+" was not provided\.?|of non-null type "[^"]+" must not be null\.?)$/s;

/** validationError: a validation error on a value written in the query becomes BAD_USER_INPUT; others (unknown fields, limits) GRAPHQL_VALIDATION_FAILED. */
function validationError(error: GraphQLError, document: DocumentNode | undefined): GraphQLError {
  const input = inputValidationError(error, document);
  return input ?? withValidationCode(error);
}

function inputValidationError(error: GraphQLError, document: DocumentNode | undefined): GraphQLError | null {
  const node = error.nodes?.[0];
  if (!node || !document) return null;
  const missingArgument = MISSING_ARGUMENT.exec(error.message);
  if (missingArgument) return badUserInput(error, [{ path: (missingArgument[1] ?? missingArgument[2])!, message: error.message }]);
  const at = inputPathOf(document, node);
  if (!at) return null;
  const field = MISSING_FIELD.exec(error.message)?.[1];
  return badUserInput(error, [{ path: fieldPath(field ? [...at, field] : at), message: error.message }]);
}

/** executionError: variable coercion and Pothos's argument checks become BAD_USER_INPUT. */
function executionError(error: GraphQLError, document: DocumentNode): GraphQLError {
  const variable = VARIABLE.exec(error.message);
  if (variable) {
    const [, name, at, reason] = variable;
    // graphql-js writes list positions as [0]; our paths as .0 (sources.1)
    const rest = at ? at.replace(/\[(\d+)\]/g, '.$1').split('.').slice(1) : [];
    const field = reason ? (MISSING_FIELD.exec(reason)?.[1] ?? UNKNOWN_FIELD.exec(reason)?.[1]) : undefined;
    return badUserInput(error, [{ path: fieldPath([...(placeOfVariable(document, name!) ?? [name!]), ...rest, ...(field ? [field] : [])]), message: error.message }]);
  }
  if (BAD_CURSOR.test(error.message)) return badUserInput(error, [{ path: cursorArgument(document, error.path), message: 'not a cursor this list handed out' }]);
  const argument = BAD_ARGUMENT.exec(error.message);
  // only the connection checks' own errors (GraphQL errors without a code), never a failure underneath
  if (argument && (!error.originalError || error.originalError instanceof GraphQLError)) return badUserInput(error, [{ path: argument[1]!, message: error.message }]);
  return error;
}

/** fieldPath joins a path, input fields relative to the `input` argument. */
function fieldPath(segments: string[]): string {
  return (segments[0] === 'input' && segments.length > 1 ? segments.slice(1) : segments).join('.');
}

/** argumentPathOf: where the first node `matches` picks sits inside an argument value (argument name, then input field names), or null outside arguments. */
function argumentPathOf(document: DocumentNode, matches: (node: ASTNode) => boolean): string[] | null {
  const stack: string[] = [];
  let found: string[] | null = null;
  visit(document, {
    enter(node) {
      if (found) return false;
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) stack.push(node.name.value);
      if (stack.length && matches(node)) {
        found = [...stack];
        return false;
      }
      return undefined;
    },
    leave(node) {
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) stack.pop();
    },
  });
  return found;
}

/** inputPathOf: where a value node of the query sits (`createChannel(input: { webhook: {} })` -> input.webhook). */
const inputPathOf = (document: DocumentNode, target: ASTNode) => argumentPathOf(document, (node) => node === target);

/** placeOfVariable: where a variable is used (`hosts(orderBy: { direction: $d })` -> orderBy.direction). */
const placeOfVariable = (document: DocumentNode, variable: string) => argumentPathOf(document, (node) => node.kind === Kind.VARIABLE && node.name.value === variable);

/** cursorArgument: which cursor the field at `path` was given - `before` when that is the one, else `after`. */
function cursorArgument(document: DocumentNode, path: ReadonlyArray<string | number> | undefined): 'after' | 'before' {
  const key = [...(path ?? [])].reverse().find((p): p is string => typeof p === 'string');
  let argument: 'after' | 'before' = 'after';
  visit(document, {
    Field(node) {
      if ((node.alias?.value ?? node.name.value) !== key) return;
      const names = (node.arguments ?? []).map((a) => a.name.value);
      if (names.includes('before') && !names.includes('after')) argument = 'before';
    },
  });
  return argument;
}
