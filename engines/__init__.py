"""Backends, kernels' context, the compiler, programs, sessions and run records. No Qt."""
