"""sha256 of the committed weight and curve files (written by ``python -m lib.models.train``).

Python source, so that the clip cache, which hashes the modules a scene imports, changes its key
when ``lib/models/weights/`` does; ``load_weights`` checks each file against it."""

SHA256 = {
    "induction.npz": "5687108d3af6fe8b9f058cc44ed8776e4d72a2b61714657603313b5b5b34a5af",
    "induction_curves.npz": "feac26e0fb93388436892bfd52e18bec7bb4d8e8208d34cd434d2b84c494096e",
    "overfitting.npz": "60be617454b85ad494625ba326a60cf666c2eb88c0ee7ea690d05fcf8354b863",
    "schedules.npz": "54440b3237aea4190d841be930ddd4f4360e6bca3d179138eec405decce05f30",
    "selective_copy.npz": "86da9b95a27232f2ac53cc3d4b5bf4f6f0849bfd16492225c2a42e6d4a4e7194",
    "selective_copy_curves.npz": "066a43bb48c5889a80a2ca2712aad5b47078c1367ade206e0dfc0455b286a834",
    "translation.npz": "31fb8226fbafaf182f670133bcd9083290cbfad981e4f5cd2fbd498f9db7329b",
    "translation_curves.npz": "69c2039c3197458db706438d0f90fbca47af6a3474889ecbbe14ee23d445117c",
}
