"""--precision: mixed_bfloat16 (--bf16) only where the hardware runs it natively; auto also takes
mixed_float16 on GPUs with float16 but no bfloat16 units."""
import keras
import pytest

from helpers.training import precision

AMD_AVX2 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 avx avx2 fma f16c\n"
INTEL_AMX = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n"


@pytest.mark.parametrize("cpuinfo,native", [(AMD_AVX2, False), (INTEL_AMX, True), (ARM, True), ("", False)])
def test_cpu_flags_decide_native_bfloat16(cpuinfo, native):
    assert precision.cpu_has_bf16(cpuinfo) is native


@pytest.mark.parametrize("details,native", [({"compute_capability": (7, 5)}, False), ({"compute_capability": (8, 0)}, True),
                                            ({"compute_capability": (9, 0)}, True), ({}, False)])
def test_only_ampere_or_newer_gpus_count_as_native(details, native):
    assert precision.gpu_has_bf16(details) is native


@pytest.mark.parametrize("native", [False, True])
def test_bf16_is_used_only_where_native(monkeypatch, capsys, native):
    monkeypatch.setattr(precision, "native_bfloat16", lambda: native)
    expected = "mixed_bfloat16" if native else "float32"
    assert precision.resolve_precision("mixed_bfloat16") == expected
    assert ("no native bfloat16" in capsys.readouterr().out) is not native
    assert precision.resolve_precision("mixed_bfloat16", force=True) == "mixed_bfloat16"  # the benchmark measures what it is asked
    assert precision.resolve_precision("float32") == "float32" and capsys.readouterr().out == ""


def test_a_training_precision_is_scoped_and_restored_even_after_an_error(monkeypatch):
    monkeypatch.setattr(precision, "native_bfloat16", lambda: True)
    assert keras.mixed_precision.global_policy().name == "float32"
    with precision.training_precision("mixed_bfloat16") as chosen:
        assert chosen == "mixed_bfloat16" == keras.mixed_precision.global_policy().name
        layer = keras.layers.Dense(2)
    assert keras.mixed_precision.global_policy().name == "float32"
    assert layer.dtype_policy.name == "mixed_bfloat16"  # what was built inside keeps its policy
    with pytest.raises(RuntimeError), precision.training_precision("mixed_float16"):
        raise RuntimeError("a failed run")
    assert keras.mixed_precision.global_policy().name == "float32"


class FakeConfig:
    """``tf.config`` with the given GPUs' compute capabilities."""

    def __init__(self, capabilities):
        self.capabilities = capabilities
        self.experimental = self

    def list_physical_devices(self, kind):
        return list(range(len(self.capabilities))) if kind == "GPU" else []

    def get_device_details(self, gpu):
        return {"compute_capability": self.capabilities[gpu]}


@pytest.mark.parametrize("capabilities,native,expected", [
    ([], False, "float32"),                        # a CPU without bfloat16
    ([], True, "mixed_bfloat16"),                  # a CPU with AMX or AVX512_BF16
    ([(7, 5)], False, "mixed_float16"),            # a T4 (Colab's common GPU)
    ([(7, 0), (7, 0)], False, "mixed_float16"),    # two V100s
    ([(6, 0)], False, "float32"),                  # a P100: no tensor cores
    ([(8, 0)], True, "mixed_bfloat16"),            # an A100
])
def test_auto_precision_follows_the_device(monkeypatch, capabilities, native, expected):
    import tensorflow as tf

    monkeypatch.setattr(precision, "native_bfloat16", lambda: native)
    monkeypatch.setattr(tf, "config", FakeConfig(capabilities))
    assert precision.resolve_precision("auto") == expected


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="mixed_float16"):
        precision.resolve_precision("float8")
