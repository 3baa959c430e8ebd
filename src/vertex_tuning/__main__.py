"""``python -m vertex_tuning``: the ``vertex-tuning`` command."""

from vertex_tuning.cli import main

if __name__ == "__main__":
    main()
