"""Templates shipped with feedsmith (packaged as `feedsmith.templates`); operators may copy and edit them."""
