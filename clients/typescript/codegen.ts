// graphql-codegen: typed operations for the documents in src/operations,
// checked against the API's contract, the checked-in schema.graphql.
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/operations/*.graphql'],
  generates: {
    'src/gql/': {
      preset: 'client',
      // Apollo Client adds `__typename` to every selection before sending
      // (its cache needs it to match fragments); a document sent by hash
      // must already have it, so the listed documents get it here.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      // Fragments spread their fields into the result types, as Apollo
      // Client's cache returns them (no masking helpers to unwrap).
      // `persistedDocuments` writes src/gql/persisted-documents.json, the
      // server's trusted documents (`--trusted-documents`), and puts each
      // document's hash in its `__meta__`, which clients send instead of
      // the text.
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
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
