// The spec's answer, by graphql-js, for responses of our server.
//
// Usage: node differential.mjs SCHEMA.graphql CASES.json
// CASES.json: [{ name, query, variables, ours: { data, errors } }], each
// `ours` being what the live server answered. For each case graphql-js
// executes the same document against the same SDL, with resolvers that
// fail exactly where our errors point and otherwise return what our server
// returned at that path. graphql-js then decides, by the spec's algorithm,
// which nulls propagate where and in what order the keys come; the answers
// must be the same, key order included, with the same error paths.
//
// Where our server nulled an object because something under it failed,
// the resolvers hand graphql-js a stand-in (an empty object, a list long
// enough to reach the failing index, a placeholder scalar) so it reaches
// the failure itself; if the null propagates as it should, the stand-in
// never shows, and if it does not, the difference is reported.
// Prints { cases, mismatches: [...] } as one JSON line.

import { readFileSync } from 'node:fs';
import {
  buildSchema, execute, parse, validate,
  isNonNullType, isListType, isAbstractType, isObjectType, isEnumType, getNamedType,
} from 'graphql';

const [schemaFile, casesFile] = process.argv.slice(2);
const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));

const pathOf = (path) => {
  const steps = [];
  for (let p = path; p; p = p.prev) steps.unshift(p.key);
  return steps;
};
const keyOf = (steps) => steps.join('.');

function lookup(data, steps) {
  let value = data;
  for (const step of steps) {
    if (value === null || value === undefined) return undefined;
    value = value[step];
  }
  return value;
}

function placeholder(type, steps, failing) {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const prefix = keyOf(steps) + '.';
    let length = 1;
    for (const path of failing) {
      if (path.startsWith(prefix)) {
        const index = Number(path.slice(prefix.length).split('.')[0]);
        if (Number.isInteger(index)) length = Math.max(length, index + 1);
      }
    }
    return Array.from({ length }, (_, i) => placeholder(inner.ofType, [...steps, i], failing));
  }
  const named = getNamedType(inner);
  if (isObjectType(named) || isAbstractType(named)) return { __standIn: true, __steps: steps };
  if (isEnumType(named)) return named.getValues()[0].value;
  if (named.name === 'Int' || named.name === 'Float') return 0;
  if (named.name === 'Boolean') return false;
  return 'stand-in';
}

function run(testCase) {
  const ours = testCase.ours;
  const failing = new Set((ours.errors ?? []).filter((e) => e.path).map((e) => keyOf(e.path)));
  const under = (steps) => {
    const prefix = keyOf(steps) + '.';
    for (const path of failing) if (path.startsWith(prefix)) return true;
    return false;
  };
  // The value at a place: ours, or a stand-in where ours is lost (a
  // parent is null) or null because something under it failed.
  const valueAt = (steps, type) => {
    const value = lookup(ours.data, steps);
    if (value === undefined || (value === null && under(steps))) return placeholder(type, steps, failing);
    if (Array.isArray(value) && under(steps)) {
      const inner = isNonNullType(type) ? type.ofType : type;
      return value.map((item, i) => (item === null && under([...steps, i])
        ? placeholder(inner.ofType, [...steps, i], failing) : item));
    }
    return value;
  };
  const fieldResolver = async (_source, _args, _context, info) => {
    const steps = pathOf(info.path);
    if (failing.has(keyOf(steps))) throw new Error(`failed at ${keyOf(steps)}`);
    return valueAt(steps, info.returnType);
  };
  // Which type an abstract value is: the type its global ID names, its
  // __typename, or (for a stand-in) the possible type that has the field
  // the failure under it names.
  const typeResolver = (value, _context, info, abstractType) => {
    if (value?.__typename) return value.__typename;
    if (typeof value?.id === 'string') {
      const decoded = Buffer.from(value.id, 'base64').toString('utf8').split(':')[0];
      if (schema.getType(decoded)) return decoded;
    }
    const possible = schema.getPossibleTypes(abstractType);
    const steps = value?.__steps ?? pathOf(info.path);
    const prefix = keyOf(steps) + '.';
    for (const path of failing) {
      if (!path.startsWith(prefix)) continue;
      const field = path.slice(prefix.length).split('.')[0];
      const type = possible.find((t) => t.getFields()[field]);
      if (type) return type.name;
    }
    return possible[0].name;
  };
  const document = parse(testCase.query);
  const invalid = validate(schema, document);
  if (invalid.length) return { problem: `invalid document: ${invalid[0].message}` };
  return execute({
    schema, document, variableValues: testCase.variables ?? {}, fieldResolver, typeResolver,
    rootValue: {},
  });
}

const mismatches = [];
for (const testCase of cases) {
  const spec = await run(testCase);
  if (spec.problem) {
    mismatches.push({ name: testCase.name, problem: spec.problem });
    continue;
  }
  // graphql-js keeps the first error that reaches a nullable place and
  // drops the rest of that subtree's; we report each. Both are the spec's
  // (one error per field): errors of ours that graphql-js lacks must lie
  // in a subtree its answer nulled.
  const paths = (errors) => (errors ?? []).map((e) => JSON.stringify(e.path)).sort();
  const specPaths = new Set(paths(spec.errors));
  const extra = paths(testCase.ours.errors).filter((path) => !specPaths.has(path))
    .filter((path) => lookup(spec.data, JSON.parse(path).slice(0, -1)) != null);
  const ours = {
    data: testCase.ours.data,
    errorPaths: paths(testCase.ours.errors).filter((path) => specPaths.has(path) || extra.includes(path)),
  };
  const theirs = { data: spec.data, errorPaths: [...specPaths] };
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
    mismatches.push({ name: testCase.name, ours, spec: theirs });
  }
}
console.log(JSON.stringify({ cases: cases.length, mismatches }));
