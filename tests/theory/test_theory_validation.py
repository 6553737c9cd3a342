"""Bad input raises ValidationError naming the argument, before any work."""

import math

import numpy as np
import pytest

import statnn.theory as th
from statnn.errors import ValidationError

CASES = [
    (th.curie_weiss_magnetization, (-1.0,), {}, "T"),
    (th.curie_weiss_magnetization, (math.nan,), {}, "T"),
    (th.curie_weiss_magnetization, (0.5,), {"J": -1.0}, "J"),
    (th.curie_weiss_magnetization, (0.5,), {"h": math.inf}, "h"),
    (th.ising_critical_temperature, (0.0,), {}, "J"),
    (th.onsager_magnetization, (np.array([1.0, -0.1]),), {}, "T"),
    (th.onsager_energy, ("hot",), {}, "T"),
    (th.onsager_specific_heat, (math.nan,), {}, "T"),
    (th.onsager_energy, (1.0,), {"J": math.nan}, "J"),
    (th.ags_solution, (-0.1, 0.0), {}, "alpha"),
    (th.ags_overlap, (0.05, -1.0), {}, "T"),
    (th.ags_overlap, (math.nan, 0.0), {}, "alpha"),
    (th.ags_critical_load, (-0.5,), {}, "T"),
    (th.ags_retrieval_temperature, (-0.01,), {}, "alpha"),
    (th.ags_global_minimum_load, (math.nan,), {}, "T"),
    (th.ags_free_energy, (0.05, 1.2), {}, "T"),
    (th.ags_free_energy, (0.0, 0.2), {}, "alpha"),
    (th.spin_glass_temperature, (-1.0,), {}, "alpha"),
    (th.one_step_error, (True,), {}, "alpha"),
    (th.cover_count, (10.5, 3), {}, "P"),
    (th.cover_count, (10, 3.0), {}, "N"),
    (th.cover_count, (0, 3), {}, "P"),
    (th.cover_probability, (np.array([4.0, 5.0]), 2), {}, "P"),
    (th.cover_probability, (4, -1), {}, "N"),
    (th.gardner_capacity, (math.nan,), {}, "kappa"),
    (th.gardner_margin, (0.0,), {}, "alpha"),
    (th.sk_rs_overlap, (-0.5,), {}, "T"),
    (th.sk_rs_energy, (np.array([0.5, math.inf]),), {}, "T"),
]


@pytest.mark.parametrize(("func", "args", "kwargs", "name"), CASES)
def test_bad_input_names_the_argument(func, args, kwargs, name):
    with pytest.raises(ValidationError, match=f"The '{name}' parameter of {func.__name__} must be"):
        func(*args, **kwargs)


def test_validation_error_is_a_value_error():
    with pytest.raises(ValueError):
        th.ags_overlap(-1.0)
