"""Deployment: local launcher (make run) and Kubernetes manifests."""
