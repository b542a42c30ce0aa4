"""Testing helpers for framescribe plugins.

* :class:`BackendConformance` / :class:`BackendContract`: the conformance kit;
  subclass one in your plugin's tests and set ``backend = "yourname"``.
* :func:`make_text_image`, :func:`make_text_video`: small sample media.
* :class:`ManualClock`: a clock a test moves by hand.
* :func:`loopback_only`: refuse and record network access outside loopback.
* :class:`LoopbackServer`, :class:`Reply`: a real HTTP server on 127.0.0.1 with
  routes, scripted replies, a request log and misbehaviours (redirects, echoed
  headers, slow drips, hangs, malformed bodies), for remote backends;
  :class:`LoopbackService`, a base for the fake service a plugin's tests run on one.

The pytest plugin (:mod:`framescribe.testing.pytest_plugin`) is registered
through the ``pytest11`` entry point, so installing framescribe is enough.
"""

from __future__ import annotations

from .clock import ManualClock
from .conformance import BackendConformance, BackendContract, check_ocr_results, check_video_result
from .loopback import LoopbackServer, LoopbackService, Recorded, Reply, free_port
from .media import DEFAULT_IMAGE_TEXT, DEFAULT_VIDEO_TEXT, make_text_image, make_text_video
from .network import is_local_host, loopback_only

__all__ = [
    "DEFAULT_IMAGE_TEXT",
    "DEFAULT_VIDEO_TEXT",
    "BackendConformance",
    "BackendContract",
    "LoopbackServer",
    "LoopbackService",
    "ManualClock",
    "Recorded",
    "Reply",
    "check_ocr_results",
    "check_video_result",
    "free_port",
    "is_local_host",
    "loopback_only",
    "make_text_image",
    "make_text_video",
]
