"""`pantau demo` and its data: the whole pipeline on Kota Cimahi with crafted sample submissions."""

# Here, not in a submodule: `pantau` imports demo.command at start-up, and this must stay light.
DEMO_PREFIX = "32.77"  # Kota Cimahi: 3 kecamatan, 15 kelurahan
