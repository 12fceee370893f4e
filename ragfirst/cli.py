"""The `ragfirst` command: parses arguments and dispatches to the feature modules.

Each subcommand's work lives in its own module and is imported only when that
subcommand runs, so `ragfirst --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ragfirst", description="ragfirst course tools")
    sub = parser.add_subparsers(dest="command", required=True)
    # Subcommands register here, one block each: sub.add_parser(...).set_defaults(run="module:function")
    # roi (issue 5): the seed's ROI template for a project file
    roi = sub.add_parser("roi", help="compare the four AI approaches' cost and ROI for a project (YAML/JSON)")
    roi.add_argument("project", help="project file: domain, complexity, data_available, performance_requirement, budget (만원)")
    roi.add_argument("--json", action="store_true", help="print a JSON list of the result dicts")
    roi.set_defaults(run="ragfirst.economics.roi_report:run_cli")
    # decide (issue 5): the seed's decision flowchart for a project file
    decide = sub.add_parser("decide", help="walk the decision flowchart for a project (YAML/JSON)")
    decide.add_argument("project", help="project file with the flowchart answers, data_available and budget (만원)")
    decide.add_argument("--json", action="store_true", help="print recommendation, choice_number, path, reasons as JSON")
    decide.set_defaults(run="ragfirst.economics.decide:run_cli")
    # grade (issue 6): autograde a folder of submitted notebooks in a sandbox
    grade = sub.add_parser("grade", help="autograde submitted notebooks (sandboxed); writes gradebook.csv and feedback/")
    grade.add_argument("assignment", help="assignment name: a folder of solutions/ (e.g. cost_analysis)")
    grade.add_argument("submissions", help="folder of submissions (one .ipynb or one folder per student), or one notebook")
    grade.add_argument("--out", default="grade-out", help="output folder for gradebook.csv, feedback/, manual/")
    grade.add_argument("--workers", type=int, default=2, help="notebooks graded in parallel (default 2)")
    grade.add_argument("--cell-timeout", type=float, help="seconds per cell (default: grading.limits.Limits, 30)")
    grade.add_argument("--memory-mb", type=int, help="memory cap per kernel in MB (default: grading.limits.Limits, 2048)")
    grade.set_defaults(run="ragfirst.grading.grader:run_cli")
    # llm (issue 3): the local OpenAI-compatible server (start, status, stop)
    llm_cmd = sub.add_parser(
        "llm", help="start, inspect or stop the local OpenAI-compatible LLM server (127.0.0.1, bearer token)",
        description="start: a server that outlives this command; it stops with 'ragfirst llm stop' or after "
                    "RAGFIRST_LLM_IDLE_TIMEOUT seconds without requests (default 1800; 0 = never). "
                    "Its bearer token is in the cache's llm_server/state.json (mode 0600).")
    llm_cmd.add_argument("action", choices=["start", "status", "stop"],
                         help="start (until stopped or idle for RAGFIRST_LLM_IDLE_TIMEOUT s), status, or stop")
    llm_cmd.set_defaults(run="ragfirst.llm.local_server:run_cli")
    # index / ask (issue 3): the RAG pipeline over data/corpus or a folder of .md/.txt files
    index = sub.add_parser("index", help="build or refresh the search index (idempotent)")
    index.add_argument("path", nargs="?", default=None, help="folder of .md/.txt documents (default: data/corpus)")
    index.add_argument("--collection", default="ragfirst-docs", help="chroma collection name")
    index.add_argument("--json", action="store_true", help="print the indexing report as JSON")
    index.add_argument("--follow-symlinks", action="store_true",
                       help="index files reached through symbolic links (skipped with a warning by default)")
    index.add_argument("--max-files", type=int, help="stop when the folder holds more documents (default: rag.corpus.MAX_FILES, 5000)")
    index.add_argument("--max-mb", type=float, help="stop when the documents total more MB (default: rag.corpus.MAX_TOTAL_BYTES, 50 MB)")
    index.set_defaults(run="ragfirst.rag.commands:run_index")
    ask = sub.add_parser("ask", help="answer a question from the indexed documents, with sources")
    ask.add_argument("question", help='the question in Korean, e.g. "배송비는 얼마인가요?"')
    ask.add_argument("--collection", default="ragfirst-docs", help="chroma collection name")
    ask.add_argument("--k", type=int, default=3, help="documents given to the model")
    ask.add_argument("--json", action="store_true", help="print the answer, sources and scores as JSON")
    ask.set_defaults(run="ragfirst.rag.commands:run_ask")
    # serve / keys (issue 18): the RAG pipeline as an HTTP service with API keys
    serve = sub.add_parser("serve", help="run the RAG HTTP service and its chat page (FastAPI on uvicorn, 127.0.0.1)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (>1 needs RAGFIRST_CHROMA_URL)")
    serve.add_argument("--corpus", help="documents a new service starts with (default: data/corpus)")
    serve.add_argument("--collection", help="chroma collection name (default: ragfirst-service)")
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    serve.set_defaults(run="ragfirst.service.commands:run_serve")
    keys = sub.add_parser("keys", help="create, list or revoke the service's API keys (stored only as hashes)")
    keys.add_argument("action", choices=["create", "list", "revoke"])
    keys.add_argument("name", nargs="?", help="key name, e.g. web-app")
    keys.add_argument("--per-minute", type=float, default=60.0, help="requests per minute (default 60)")
    keys.add_argument("--burst", type=float, default=20.0, help="requests allowed at once before limiting (default 20)")
    keys.add_argument("--customer", help="the shop customer /v1/assist acts for with this key, e.g. C001")
    keys.set_defaults(run="ragfirst.service.commands:run_keys")
    return parser


def handler(target: str):
    """The function named ``"module:function"``, imported now (only the chosen subcommand's module loads)."""
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(handler(args.run)(args) or 0)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"ragfirst {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
