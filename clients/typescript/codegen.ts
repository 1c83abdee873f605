// graphql-codegen: typed operations for the documents in src/operations,
// checked against the API's contract, the checked-in schema.graphql.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/operations/*.graphql'],
  generates: {
    'src/gql/': {
      preset: 'client',
      // Fragments spread their fields into the result types, as Apollo
      // Client's cache returns them (no masking helpers to unwrap).
      presetConfig: { fragmentMasking: false },
      config: {
        // Custom scalars as the server serializes them.
        scalars: { DateTime: 'string', Decimal: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
  ignoreNoDocuments: false,
  // ES module imports with `.js` extensions, as Node's resolution wants.
  emitLegacyCommonJSImports: false,
};

export default config;
