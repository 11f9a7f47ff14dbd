"""The data plane: codec, raw wire client, bulk writer and reader, files, resumable operations."""
