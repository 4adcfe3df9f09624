"""feedsmith: news listing pages in, feeds and a monthly digest out."""

__version__ = "0.1.0"
