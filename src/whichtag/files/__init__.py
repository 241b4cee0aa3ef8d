"""Image references in files people keep: Dockerfiles, compose files, Kubernetes manifests."""
