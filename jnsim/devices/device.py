"""Brian's ``brian2.devices.device`` names; see :mod:`jnsim.brian_compat`."""

from ..brian_compat import device, get_device, reinit_devices, reset_device, set_device

__all__ = ["device", "get_device", "reinit_devices", "reset_device", "set_device"]
