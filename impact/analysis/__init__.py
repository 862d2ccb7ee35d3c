"""One function per question the pages, the CLI and reports ask."""
