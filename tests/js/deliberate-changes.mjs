// A graphql-inspector diff rule: a breaking change is accepted only when it
// is recorded as deliberate, i.e. its schema path appears in backticks in
// the "### Breaking" list of CHANGELOG.md's "## Unreleased" section, and,
// when it removes a field or an enum value, that was deprecated in the
// released schema first. Accepted changes are reported as dangerous rather
// than breaking, so `graphql-inspector diff` only fails on the others.
// CHANGELOG (environment variable) names another changelog, for tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const changelogPath = process.env.CHANGELOG
  ?? fileURLToPath(new URL('../../CHANGELOG.md', import.meta.url));

/** The paths listed under Unreleased → Breaking. */
function recordedPaths() {
  const text = readFileSync(changelogPath, 'utf8');
  const unreleased = text.split(/^## /m).find((section) => section.startsWith('Unreleased')) ?? '';
  const breaking = unreleased.split(/^### /m).find((section) => section.startsWith('Breaking')) ?? '';
  return new Set([...breaking.matchAll(/`([^`]+)`/g)].map((match) => match[1]));
}

const REMOVALS = {
  FIELD_REMOVED: (meta) => meta.isRemovedFieldDeprecated,
  ENUM_VALUE_REMOVED: (meta) => meta.isEnumValueDeprecated,
};

export default function deliberateChanges({ changes }) {
  const recorded = recordedPaths();
  return changes.map((change) => {
    if (change.criticality.level !== 'BREAKING' || !recorded.has(change.path)) return change;
    const deprecatedFirst = REMOVALS[change.type];
    if (deprecatedFirst && !deprecatedFirst(change.meta)) {
      return {
        ...change,
        message: `${change.message} (recorded in CHANGELOG.md, but removals must be deprecated in a release first)`,
      };
    }
    return {
      ...change,
      criticality: { ...change.criticality, level: 'DANGEROUS', reason: 'Recorded as deliberate in CHANGELOG.md' },
    };
  });
}
