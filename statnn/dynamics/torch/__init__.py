"""The torch backend (CPU and CUDA, imported lazily): the shared base (device, seed,
update rule, state layout), field caches per representation (fields), block-sequential
and synchronous kernels (blocks), checkerboard lattices (lattice) and the kernel factory
the sampler loads (kernels)."""
