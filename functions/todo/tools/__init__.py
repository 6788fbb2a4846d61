"""The task tools: typed operations over one user's tasks, shared by the chat and the MCP
server, on the same service code (outbox, events, validation, authorisation) as the REST
API. `catalog.TOOLS` lists them; `preferences.toolbox_for` gives a user's toolbox."""
