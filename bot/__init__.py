"""The core of the AILEX incident bot: flows, settings, rendering, the app factory."""
