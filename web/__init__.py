"""The customer web portal: server-rendered pages (Starlette + Jinja2, htmx for
progressive enhancement) that use the gateway's public REST API with the user's
tokens, exactly as any other client (never a service's database or gRPC)."""
