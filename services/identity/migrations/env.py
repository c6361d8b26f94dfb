from portal_runtime.migrations import run_env
from services.identity.store import metadata

run_env(metadata)
