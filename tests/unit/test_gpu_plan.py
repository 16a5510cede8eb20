from rtstt.gpu_plan import plan, whisper_mb


def test_whisper_estimates_match_published_figures():
    assert 4000 < whisper_mb("large-v3", "float16") < 4800  # faster-whisper: large-v2 fp16 beam 5, 4.5 GB
    assert 2500 < whisper_mb("large-v3", "int8_float16") < 3200  # int8: 2.9 GB
    assert whisper_mb("tiny.en", "float16") < 400


def test_large_v3_plus_8b_in_8bit_plus_speakers_fits_16_gb():
    p = plan(16 * 1024, "large-v3", llm_params_b=8, speakers="pyannote")
    assert (p.whisper_compute, p.llm_device, p.llm_quantization) == ("float16", "cuda", "8bit")
    assert p.fits and p.total_mb < 16 * 1024
    assert not p.notes


def test_a_smaller_card_gets_4bit_then_the_cpu_with_a_reason():
    p12 = plan(12 * 1024, "large-v3", llm_params_b=8, speakers="pyannote")
    assert (p12.llm_device, p12.llm_quantization) == ("cuda", "4bit")
    assert p12.whisper_compute == "int8_float16"  # int8 Whisper beats an 8B model on the CPU
    assert any("4bit" in n for n in p12.notes)
    p8 = plan(8 * 1024, "large-v3", llm_params_b=8, speakers="pyannote")
    assert p8.llm_device == "cpu" and p8.fits
    assert any("CPU" in n for n in p8.notes)


def test_whisper_drops_to_int8_when_even_it_does_not_fit():
    p = plan(4 * 1024, "large-v3")
    assert p.whisper_compute == "int8_float16" and p.fits


def test_an_explicit_quantization_is_respected():
    p = plan(24 * 1024, "large-v3", llm_params_b=8, llm_quantization="4bit")
    assert p.llm_quantization == "4bit"
