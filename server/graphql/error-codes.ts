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
    onValidate({ params }) {
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map((e) => validationError(e, params.documentAST)));
      };
    },
    onExecute({ args }) {
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => setResult(withCodes(result, args.document))) };
    },
    onSubscribe({ args }) {
      return { onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => setResult(withCodes(result, args.document))) };
    },
  };
}

function withCodes(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  if (!result.errors?.length || result.errors.every((e) => e.extensions?.code)) return result;
  return { ...result, errors: result.errors.map((e) => (e.extensions?.code ? e : executionError(e, document))) };
}

function badUserInput(original: GraphQLError, fields: FieldError[]): GraphQLError {
  return new GraphQLError(original.message, { nodes: original.nodes, source: original.source, positions: original.positions, path: original.path, originalError: original.originalError, extensions: { ...original.extensions, code: 'BAD_USER_INPUT', fields } });
}

/** The messages graphql-js and Pothos use for input that does not fit the schema. */
const MISSING_FIELD = /^Field "(?:[^".]+\.)?([^"]+)" of required type "[^"]+" was not provided/;
const UNKNOWN_FIELD = /^Field "([^"]+)" is not defined by type/;
const MISSING_ARGUMENT = /^(?:Argument "([^"]+)" of required type "[^"]+" was not provided|Field "[^"]+" argument "([^"]+)" of type "[^"]+" is required)/;
const BAD_ARGUMENT = /^Arguments? "([^"]+)"/;
const BAD_CURSOR = /^(Invalid cursor|Cursor must be a string)/;
const VARIABLE = /^Variable "\$([^"]+)" (?:got invalid value .*?(?: at "([^"]+)")?; (.*)|of required type "[^"]+" was not provided\.?)$/s;

/** validationError: a validation error on a value written in the query becomes BAD_USER_INPUT; others (unknown fields, syntax) stay as they are. */
function validationError(error: GraphQLError, document: DocumentNode | undefined): GraphQLError {
  const node = error.nodes?.[0];
  if (!node || !document) return error;
  const missingArgument = MISSING_ARGUMENT.exec(error.message);
  if (missingArgument) return badUserInput(error, [{ path: (missingArgument[1] ?? missingArgument[2])!, message: error.message }]);
  const at = inputPathOf(document, node);
  if (!at) return error;
  const field = MISSING_FIELD.exec(error.message)?.[1];
  return badUserInput(error, [{ path: fieldPath(field ? [...at, field] : at), message: error.message }]);
}

/** executionError: variable coercion and Pothos's argument checks become BAD_USER_INPUT. */
function executionError(error: GraphQLError, document: DocumentNode): GraphQLError {
  const variable = VARIABLE.exec(error.message);
  if (variable) {
    const [, name, at, reason] = variable;
    const rest = at ? at.split('.').slice(1) : [];
    const field = reason ? (MISSING_FIELD.exec(reason)?.[1] ?? UNKNOWN_FIELD.exec(reason)?.[1]) : undefined;
    return badUserInput(error, [{ path: fieldPath([argumentOfVariable(document, name!) ?? name!, ...rest, ...(field ? [field] : [])]), message: error.message }]);
  }
  if (BAD_CURSOR.test(error.message)) return badUserInput(error, [{ path: 'after', message: 'not a cursor this list handed out' }]);
  const argument = BAD_ARGUMENT.exec(error.message);
  // only the connection checks' own errors (GraphQL errors without a code), never a failure underneath
  if (argument && (!error.originalError || error.originalError instanceof GraphQLError)) return badUserInput(error, [{ path: argument[1]!, message: error.message }]);
  return error;
}

/** fieldPath joins a path, input fields relative to the `input` argument. */
function fieldPath(segments: string[]): string {
  return (segments[0] === 'input' && segments.length > 1 ? segments.slice(1) : segments).join('.');
}

/** inputPathOf: where `target` sits inside an argument value (argument name, then object field names), or null outside arguments. */
function inputPathOf(document: DocumentNode, target: ASTNode): string[] | null {
  const stack: string[] = [];
  let found: string[] | null = null;
  visit(document, {
    enter(node) {
      if (found) return false;
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) stack.push(node.name.value);
      if (node === target && stack.length) {
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

/** argumentOfVariable: the argument a variable is passed to directly (`createChannel(input: $i)` -> input). */
function argumentOfVariable(document: DocumentNode, variable: string): string | null {
  let argument: string | null = null;
  visit(document, {
    Argument(node) {
      if (!argument && node.value.kind === Kind.VARIABLE && node.value.name.value === variable) argument = node.name.value;
    },
  });
  return argument;
}
