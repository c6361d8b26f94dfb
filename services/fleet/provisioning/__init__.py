"""How fleet talks to the operator's provisioning system (the network side that
really changes a line): the interface (`base.py`) and its HTTP adapter."""
