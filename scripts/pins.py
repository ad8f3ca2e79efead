"""The Python tool pins of requirements/, read for the scripts and the devstack.

    python3 scripts/pins.py version FILE PACKAGE
        prints the version FILE pins PACKAGE at (`PACKAGE==X` or
        `PACKAGE[extras]==X`); exit 1 when it pins none.
    VENV/bin/python scripts/pins.py installed REQUIREMENTS [CONSTRAINTS...]
        exit 0 when VENV holds every pin of REQUIREMENTS, and every package
        of CONSTRAINTS that is installed at its pin; otherwise prints what
        differs, exit 1. Run it with the venv's own python.

Standard library only: it runs in every venv, before anything is installed.
crates/onboarding-devstack/src/moto.rs builds this file in and runs it for
.venv/moto; scripts/check-terraform.sh and scripts/localstack.sh run it.
"""

import importlib.metadata
import re
import sys

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """(name, version) for every `name==version` line of a requirements file."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            match = PIN.match(line.strip())
            if match:
                yield match.group(1), match.group(3)


def installed(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv):
    if len(argv) == 3 and argv[0] == "version":
        wanted = normalized(argv[2])
        for name, version in pins(argv[1]):
            if normalized(name) == wanted:
                print(version)
                return 0
        print(f"{argv[1]} pins no {argv[2]}", file=sys.stderr)
        return 1
    if len(argv) >= 2 and argv[0] == "installed":
        differ = []
        for index, path in enumerate(argv[1:]):
            for name, version in pins(path):
                have = installed(name)
                # A constraint on a package the venv does not use is no difference.
                if have != version and (index == 0 or have is not None):
                    differ.append(f"{name}: {have or 'not installed'}, pinned {version} ({path})")
        for line in differ:
            print(line)
        return 1 if differ else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
