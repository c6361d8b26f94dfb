from portal_runtime.migrations import run_env
from services.assets.store import metadata

run_env(metadata)
