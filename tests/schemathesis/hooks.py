"""Schemathesis hooks for shopgraph: how to generate the API's custom input
scalars (schemathesis knows only GraphQL's built-in ones)."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Money amounts: decimal strings, valid and not (negative, too precise, huge).
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
        st.decimals(allow_nan=False, allow_infinity=False).map(str),
        st.text(max_size=20),
    ).map(nodes.String),
)
