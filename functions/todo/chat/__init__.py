"""The chat: plain language in, task tools out (`POST /api/chat`).

The deterministic parser (`functions.todo.language`) answers by default; when an LLM
endpoint is configured it may plan the tool calls instead, with the same tools and
the same authorisation, falling back to the parser when it fails.
"""
