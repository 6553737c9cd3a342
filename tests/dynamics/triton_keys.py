"""Triton's specialisation keys for recorded launches: how many kernels a run compiles."""

from __future__ import annotations


def specialisation_keys(calls, dns):
    """The cache keys Triton's JIT would compile for the recorded launches (CUDA target).

    ``calls``: (kernel, args, meta) per launch; ``dns``: each kernel's do_not_specialize
    list by name.
    """
    from triton.backends.compiler import GPUTarget
    from triton.compiler import make_backend
    from triton.runtime.jit import JITFunction, create_function_from_signature

    backend = make_backend(GPUTarget("cuda", 90, 32))
    keys = set()
    binders = {}
    for kernel, args, meta in calls:
        fn = kernel.fn
        if fn not in binders:
            jf = JITFunction(fn, do_not_specialize=dns[fn.__name__])
            binders[fn] = create_function_from_signature(jf.signature, jf.params, backend)
        _, spec, _ = binders[fn](*args, **meta)
        keys.add((fn.__name__, str(spec)))
    return keys
