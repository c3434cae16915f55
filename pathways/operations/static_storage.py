"""Production's static files: hashed names and compressed copies (WhiteNoise), with our
JavaScript modules importing each other by hashed names, so every file can be kept for good."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedModulesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage, with each `import ... from "./x.js"` rewritten to x's hashed name."""

    support_js_module_import_aggregation = True
