"""Simulators of the CRMs callbridge logs into; each ``<name>.create_app`` builds one."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from callbridge.sandbox.crm import clio, generic, hubspot, pipedrive, salesforce

SANDBOXES: dict[str, Callable[..., FastAPI]] = {
    "hubspot": hubspot.create_app,
    "salesforce": salesforce.create_app,
    "pipedrive": pipedrive.create_app,
    "clio": clio.create_app,
    "generic": generic.create_app,
}

__all__ = ["SANDBOXES"]
