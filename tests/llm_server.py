"""A real OpenAI-compatible HTTP server on loopback that returns scripted completions.

The real LangChain provider (langchain-openai), its HTTP client and its parsing all run
against it; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from aiohttp import web


class FakeOpenAI:
    def __init__(self):
        # each: {"content": str} | {"status": int} | {"delay": s, ...}; streamed replies also take
        # "chunk_delay" (seconds between words), "stall_after" + "stall" (words sent, then silence)
        # and "keepalive" (seconds of SSE comments before the first word); plain replies take
        # "byte_delay" (seconds between the bytes of the body)
        self.script: list[dict] = []
        self.condensed = ""  # reply to query-condensation requests
        self.requests: list[dict] = []  # every request body, as sent
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._completions)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown():
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def prompts(self) -> list[str]:
        return ["\n".join(m.get("content", "") for m in r["messages"]) for r in self.requests]

    @staticmethod
    async def _stall(request: web.Request, seconds: float) -> None:
        """Send nothing for ``seconds``, or until the client hangs up (then shutdown need not wait)."""
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            if request.transport is None or request.transport.is_closing():
                return
            await asyncio.sleep(0.05)

    @staticmethod
    async def _trickled(request: web.Request, reply: web.Response, delay: float) -> web.StreamResponse:
        """``reply`` a byte at a time: every read gets something, the whole never comes in time."""
        body = reply.body if isinstance(reply.body, bytes) else b""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        try:
            for i in range(len(body)):
                await response.write(body[i : i + 1])
                await asyncio.sleep(delay)
            await response.write_eof()
        except ConnectionError:
            pass
        return response

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        text = "\n".join(m.get("content", "") for m in body["messages"])
        if "standalone search query" in text:
            spec = {"content": self.condensed or "?"}
        else:
            spec = self.script.pop(0) if self.script else {"content": "NOT_IN_SOURCES"}
        if spec.get("delay"):
            await asyncio.sleep(spec["delay"])
        if spec.get("status"):
            return web.json_response(
                {"error": {"message": spec.get("message", "scripted failure"), "type": "server_error"}},
                status=spec["status"],
            )
        content = spec["content"]
        if not body.get("stream"):
            reply = web.json_response(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
            )
            if not spec.get("byte_delay"):
                return reply
            return await self._trickled(request, reply, spec["byte_delay"])
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        words = content.split(" ")
        try:
            end = asyncio.get_running_loop().time() + spec.get("keepalive", 0)
            while asyncio.get_running_loop().time() < end:
                await response.write(b": keep-alive\n\n")
                await asyncio.sleep(0.1)
            for i, word in enumerate(words):
                if i == spec.get("stall_after"):
                    await self._stall(request, spec["stall"])
                piece = word if i == 0 else " " + word
                chunk = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
                await asyncio.sleep(spec.get("chunk_delay", 0))
            done = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            await response.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up (a timeout under test): nothing left to send
        return response
