"""``whichtag serve``: a long-running exporter. It refreshes what ``whichtag outdated`` answers
for a cluster's pods, the local engine's containers and files, serves the answers as Prometheus
metrics, and tells of changes between refreshes. A room of its own beside ``cli/``, above
``answer/`` and ``local/``: the Kubernetes client and the Prometheus library are imported only
here (``pip install whichtag[serve]``)."""
