"""Test support: every helper the tiers share (fixtures stay in the conftests).

- waiting: `wait_for`, the one way a test waits for an observable state;
- quiet: the state in which a platform owes nothing, before asserting that nothing more
  happened;
- tracker: the `track` fixture's WebSocket clients, sockets and threads, closed after a test;
- services, plugin: throwaway PostgreSQL, Kafka, daprd and scheduler, and the pytest
  plugin with their session fixtures; platform: `todomesh dev` as a process;
- kafka, mail, stub_app, webhook: a Kafka reader and lag probe, an SMTP server, a stub app
  for a sidecar, a webhook receiver;
- api, harness, envelopes, contract, stories, faults, deploy: what the api, functions,
  contract, e2e, integration and deploy tiers call;
- load: `task test:load`.
"""
