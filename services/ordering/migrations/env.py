from portal_runtime.migrations import run_env
from services.ordering.store import metadata

run_env(metadata)
