"""What a registry says: the Distribution API, manifests, listers, vendor APIs, the cache."""
