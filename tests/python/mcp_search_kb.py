"""A real MCP client (the official `mcp` Python SDK, streamable HTTP transport) asks the
ElasticDash knowledge base: initialize, list the tools, call search_kb and get_api_operation.
Prints one JSON line with what it saw; tests/api_kb.rs checks it.

Env: ED_MCP_URL (http://host:port/mcp), ED_API_KEY (`public:secret`, `read` scope)."""

import asyncio
import json
import os

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def text_of(result):
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def main():
    headers = {"Authorization": f"Bearer {os.environ['ED_API_KEY']}"}
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(os.environ["ED_MCP_URL"], http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                tools = await session.list_tools()
                found = await session.call_tool("search_kb", {"query": "give a customer their money back", "k": 3})
                op = await session.call_tool("get_api_operation", {"method": "GET", "path": "/orders"})
                missing = await session.call_tool("get_table", {"name": "no_such_table"})
                print(json.dumps({
                    "server": init.server_info.name,
                    "tools": [t.name for t in tools.tools],
                    "search": text_of(found),
                    "search_error": bool(found.is_error),
                    "operation": text_of(op),
                    "missing_error": bool(missing.is_error),
                }))


asyncio.run(main())
