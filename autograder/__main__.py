"""Command line: ``python -m autograder COMMAND``. Each command is a thin layer over a library function."""

import argparse
import sys

from . import paths


def _release(args):
    from .release import ReleaseError, build_release

    try:
        release_dir = build_release(assignment=args.assignment)
    except ReleaseError as error:
        print(f"release failed: {error}", file=sys.stderr)
        return 1
    print(f"wrote {release_dir}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="regenerate assignments/ from solutions/")
    release.add_argument("--assignment", default=paths.ASSIGNMENT)
    release.set_defaults(run=_release)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
