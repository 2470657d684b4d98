"""Declarative (proxy) connectors: a manifest of templated requests and JMESPath mappings.

Importing this package registers the built-in manifests (``manifests/``) with the registry.
"""

from callbridge.connectors.proxy.appconnect import import_appconnect, import_appconnect_file
from callbridge.connectors.proxy.builtin import builtin_connectors
from callbridge.connectors.proxy.connector import ProxyConnector, connector_class
from callbridge.connectors.proxy.errors import ManifestError
from callbridge.connectors.proxy.loader import CompiledManifest, load_manifest, load_manifest_data
from callbridge.connectors.registry import register_manifest_loader

register_manifest_loader(builtin_connectors)

__all__ = ["CompiledManifest", "ManifestError", "ProxyConnector", "builtin_connectors",
           "connector_class", "import_appconnect", "import_appconnect_file", "load_manifest",
           "load_manifest_data"]
