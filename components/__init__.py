"""The ComponentResources that make up library-infra; one per module, wired together in __main__.py."""
