"""Reaching hosts: the HTTP transport, proxies, certs.d, host classes, URLs, throttling."""
