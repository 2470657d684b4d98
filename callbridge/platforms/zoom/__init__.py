"""Zoom: signed webhook deliveries (``webhooks``) and the organization's Zoom connection
(``connection``: webhook secret token, app credentials, deauthorisation).

The Zoom API client and the normalisation of Zoom Phone events are not built yet: accepted events
are stored in the inbox as ``ignored`` with that reason (see ``callbridge.web.webhooks.zoom``).
"""
