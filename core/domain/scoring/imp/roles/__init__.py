"""One scorer per role of the 6 Peran Bhakti, each reading a Context and returning a RoleScore."""
