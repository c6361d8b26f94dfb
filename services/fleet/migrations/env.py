from portal_runtime.migrations import run_env
from services.fleet.store import metadata

run_env(metadata)
