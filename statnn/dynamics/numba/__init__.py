"""The numba backend (multi-threaded CPU, the default): one module per coupling
representation (dense, sparse, patterns, lattice, multispin), the shared update rule
(rules), the site schedules (schedule), the per-chain RNG (rng), the thread settings
(threads) and the kernel object the sampler drives (kernel)."""
