"""Helpers the test modules share (fixture releases, builds, servers, the browser). No test module imports another
test module or a conftest: what two of them need lives here."""
