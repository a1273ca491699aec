"""The shipped models in a browser: draw faces with an expression, read the expressions in a photo,
change the expression of the faces in a photo.

    pip install -e .[app]
    python -m helpers.app                      # then open the address it prints
    python -m helpers.app --port 8000 --generator checkpoints/dcgan_fer2013

It listens on 127.0.0.1 (this computer only) unless --host says otherwise, and runs the models'
LiteRT twins where they exist, without TensorFlow. In a notebook (Colab too),
``from helpers.inference.web import show; show()`` shows it inline. The page and its endpoints
are :mod:`helpers.inference.web`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from helpers.arguments import number
from helpers.cli import command_parser, run_cli
from helpers.inference.showcase import SHIPPED, Models
from helpers.inference.web import build_app, listening_socket, serve


def parse_args(argv=None):
    p = command_parser(__doc__, prog="python -m helpers.app")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: this computer only)")
    number(p, "--port", low=0, high=65_535, default=7860, help="the port to listen on (0: a free one)")
    p.add_argument("--generator", type=Path, default=SHIPPED["generator"], help="a generator release folder")
    p.add_argument("--recognizer", type=Path, default=SHIPPED["recognizer"], help="a .keras recognizer")
    p.add_argument("--translator", type=Path, default=SHIPPED["translator"], help="a translator release folder")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    sock = listening_socket(args.host, args.port)
    app = build_app(Models.load(args.generator, args.recognizer, args.translator))
    host, port = sock.getsockname()[:2]
    print(f"the app is at http://{f'[{host}]' if ':' in host else host}:{port}/ (Ctrl+C stops it)", flush=True)
    serve(app, sock)


if __name__ == "__main__":
    run_cli(main, sys.argv[1:])
