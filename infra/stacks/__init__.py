"""One Stack per concern; each composes constructs from ``infra.constructs`` and does the grants."""
