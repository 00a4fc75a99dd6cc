"""`cellbot run` as deployed: a real process polling a local stand-in for the Bot API
(TELEGRAM_API_BASE_URL), answering a user, and stopping cleanly on SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

from tests.harness import BOT_USER, TOKEN


class FakeBotApi(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    pending_updates: ClassVar[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(raw or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        method = self.path.rsplit("/", 1)[-1]
        with self.lock:
            self.calls.append((method, params))
            result: Any = True
            if method == "getMe":
                result = BOT_USER
            elif method == "getUpdates":
                result, FakeBotApi.pending_updates[:] = list(self.pending_updates), []
                if not result:
                    time.sleep(0.05)
            elif method == "sendMessage":
                result = {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params.get("text", ""),
                }
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_cellbot_run_polls_answers_and_stops(tmp_path: Path, db_url: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBotApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeBotApi.calls.clear()
    FakeBotApi.pending_updates[:] = [
        {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Lan", "language_code": "en"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{server.server_port}/bot",
        DATABASE_URL=db_url,
        LOG_LEVEL="DEBUG",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with FakeBotApi.lock:
                replies = [p for m, p in FakeBotApi.calls if m == "sendMessage"]
            if replies or process.poll() is not None:
                break
            time.sleep(0.1)
        assert replies, "the bot never answered"
        assert "invitation link" in replies[0]["text"]
        assert int(replies[0]["chat_id"]) == 4242
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        server.shutdown()
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    methods = [m for m, _ in FakeBotApi.calls]
    assert "setMyCommands" in methods and "getUpdates" in methods
