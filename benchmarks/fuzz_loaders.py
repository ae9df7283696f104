"""Long fuzzing run of every loader: the properties of tests/test_fuzz_loaders.py with more examples.

    python benchmarks/fuzz_loaders.py --examples 5000 [--random]

The test run uses 200 examples per property (derandomized, so CI is reproducible); this script
raises the count (``FASTW2V_FUZZ_EXAMPLES``) and, with ``--random``, lets hypothesis draw new
examples each run. A failure prints hypothesis's minimal falsifying example. Not a timing benchmark.
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="examples per property")
    parser.add_argument("--random", action="store_true",
                        help="new random examples each run (default: hypothesis's fixed seed)")
    args = parser.parse_args(argv)
    env = dict(os.environ, FASTW2V_FUZZ_EXAMPLES=str(args.examples))
    if args.random:
        env["FASTW2V_FUZZ_RANDOM"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               os.path.join(ROOT, "tests", "test_fuzz_loaders.py"), "--hypothesis-show-statistics"]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
