"""The local side: a Docker-compatible engine and what its images are called upstream."""
