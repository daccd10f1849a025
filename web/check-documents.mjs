#!/usr/bin/env node
/**
 * check-documents: validate every GraphQL document of the web app against
 * schema.graphql, the way `gql.tada check` would (unknown fields, arguments,
 * types, missing fragments), without needing @gql.tada/svelte-support.
 *
 * 1. Find each `graphql(`...`)` call in web/**\/*.ts with the TypeScript parser.
 * 2. Collect fragment definitions by name across files.
 * 3. Validate each document plus the fragments it spreads with graphql-js.
 * Documents tagged `pending(`...`)` are operations the UI already uses but the
 * server does not publish yet: reported, and an error only if they break
 * once the schema has them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { buildSchema, parse, validate, Kind, visit } from 'graphql';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schema = buildSchema(`${fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8')}\ndirective @_unmask on FRAGMENT_DEFINITION\n`);

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

/** documents: every graphql`` / pending`` template in a file, with its line. */
function documents(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const visitNode = (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['graphql', 'pending'].includes(node.expression.text)) {
      const arg = node.arguments[0];
      if (arg && ts.isNoSubstitutionTemplateLiteral(arg)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        found.push({ file: path.relative(ROOT, file), line, text: arg.text, pending: node.expression.text === 'pending' });
      }
    }
    ts.forEachChild(node, visitNode);
  };
  visitNode(source);
  return found;
}

const all = [...walk(path.join(ROOT, 'web'))].flatMap(documents);
const fragments = new Map();
let failures = 0;
for (const doc of all) {
  try {
    doc.ast = parse(doc.text);
  } catch (err) {
    console.error(`${doc.file}:${doc.line}: ${err.message}`);
    failures++;
    continue;
  }
  for (const def of doc.ast.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
}

function withFragments(ast) {
  const defs = [...ast.definitions];
  const have = new Set(defs.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => d.name.value));
  for (let i = 0; i < defs.length; i++) {
    visit(defs[i], {
      FragmentSpread(node) {
        const def = fragments.get(node.name.value);
        if (def && !have.has(node.name.value)) (have.add(node.name.value), defs.push(def));
      },
    });
  }
  return { ...ast, definitions: defs };
}

const pendingReport = [];
for (const doc of all) {
  if (!doc.ast || doc.ast.definitions.every((d) => d.kind === Kind.FRAGMENT_DEFINITION)) continue;
  const errors = validate(schema, withFragments(doc.ast));
  if (doc.pending) {
    pendingReport.push(`${doc.file}:${doc.line}: ${errors.length ? `not in schema.graphql yet (${errors[0].message})` : 'now in schema.graphql: switch pending() to graphql()'}`);
    continue;
  }
  for (const e of errors) {
    console.error(`${doc.file}:${doc.line}: ${e.message}`);
    failures++;
  }
}
for (const line of pendingReport) console.warn(`pending ${line}`);
if (failures) {
  console.error(`\n${failures} GraphQL document error(s) against schema.graphql`);
  process.exit(1);
}
console.log(`${all.length} GraphQL documents valid against schema.graphql`);
