"""``python -m oretrace``: the command line (:func:`oretrace.cli.main`)."""

from oretrace.cli import main

if __name__ == "__main__":
    main()
