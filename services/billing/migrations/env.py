from portal_runtime.migrations import run_env
from services.billing.store import metadata

run_env(metadata)
