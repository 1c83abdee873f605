// Validates the GraphQL examples of the documentation against the schema
// with graphql-js, the reference implementation.
// Usage: node check-docs.mjs <schema.graphql> <blocks.json>
// blocks.json: [{ "file", "line", "text" }]; prints one JSON line:
// { "checked": n, "problems": [{ "file", "line", "message" }] }.
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';

const [schemaPath, blocksPath] = process.argv.slice(2);
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
const blocks = JSON.parse(readFileSync(blocksPath, 'utf8'));
const problems = [];
for (const block of blocks) {
  let document;
  try {
    document = parse(block.text);
  } catch (error) {
    problems.push({ file: block.file, line: block.line, message: error.message });
    continue;
  }
  for (const error of validate(schema, document)) {
    const at = error.locations?.[0];
    problems.push({
      file: block.file,
      line: block.line + (at ? at.line : 0),
      message: error.message,
    });
  }
}
console.log(JSON.stringify({ checked: blocks.length, problems }));
