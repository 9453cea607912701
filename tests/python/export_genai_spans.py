"""Export nested GenAI spans to ElasticDash with the stock OpenTelemetry Python SDK.

Run by tests/otlp_python_sdk.rs with the venv's python. Environment:
  ED_OTLP_ENDPOINT  full traces URL, e.g. http://127.0.0.1:PORT/v1/traces
  ED_PUBLIC_KEY, ED_SECRET_KEY  a project API key with the `ingest` scope
Prints one JSON line: {"trace_id": hex, "spans": {name: span_id_hex}, "exports": [results]}.
Exits 1 if any export did not succeed (the SDK itself only logs failures).
"""

import base64
import json
import os
import sys

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode


class RecordingExporter(OTLPSpanExporter):
    """The stock exporter, remembering each export's result."""

    results = []

    def export(self, spans):
        result = super().export(spans)
        self.results.append(result.name)
        return result


def main():
    token = base64.b64encode(f"{os.environ['ED_PUBLIC_KEY']}:{os.environ['ED_SECRET_KEY']}".encode()).decode()
    exporter = RecordingExporter(
        endpoint=os.environ["ED_OTLP_ENDPOINT"],
        headers={"Authorization": f"Basic {token}"},
        compression=Compression.Gzip,
        timeout=10,
    )
    resource = Resource.create({"service.name": "py-genai-app", "deployment.environment.name": "sdk-test"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("elasticdash.sdk-test", "1.0.0")

    ids = {}
    with tracer.start_as_current_span(
        "support-pipeline",
        attributes={"session.id": "py-session-1", "user.id": "py-user-1", "app.tenant": "acme"},
    ) as root:
        ids["support-pipeline"] = root
        with tracer.start_as_current_span("retrieve-docs", attributes={"db.system": "vector", "retrieval.k": 4}) as retrieve:
            ids["retrieve-docs"] = retrieve
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.system": "openai",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini",
                "gen_ai.request.temperature": 0.2,
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.output_tokens": 340,
                "gen_ai.prompt": "Where is order 1234?",
                "gen_ai.completion": "Order 1234 ships tomorrow.",
            },
        ) as chat:
            ids["chat gpt-4o-mini"] = chat
            with tracer.start_as_current_span(
                "chat claude",
                kind=SpanKind.CLIENT,
                attributes={
                    "gen_ai.system": "anthropic",
                    "gen_ai.request.model": "claude-3-5-sonnet-20241022",
                    "gen_ai.usage.input_tokens": 800,
                    "gen_ai.usage.output_tokens": 120,
                },
            ) as judge:
                ids["chat claude"] = judge
                judge.add_event("gen_ai.user.message", {"content": "Rate the answer from 1 to 5."})
                judge.add_event("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": '{"role":"assistant","content":"4"}'})
                judge.set_status(Status(StatusCode.ERROR, "judge disagreed"))

    flushed = provider.force_flush(15_000)
    provider.shutdown()
    out = {
        "trace_id": format(root.get_span_context().trace_id, "032x"),
        "spans": {name: format(span.get_span_context().span_id, "016x") for name, span in ids.items()},
        "exports": RecordingExporter.results,
        "flushed": flushed,
    }
    print(json.dumps(out))
    ok = flushed and RecordingExporter.results and all(r == SpanExportResult.SUCCESS.name for r in RecordingExporter.results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
