"""`clapnet flash-firmware`: checks before anything is erased, and the confirmation."""
import pytest

from clapnet.errors import ClapnetError
from clapnet.board.flash import flash_firmware
from tests.helpers import clapnet


@pytest.fixture
def firmware(tmp_path):
    path = tmp_path / "ESP32_GENERIC-v1.24.bin"
    path.write_bytes(bytes([0xE9, 0x03, 0x02, 0x20]) + bytes(1020))  # image header byte
    return path


def test_refuses_a_missing_or_wrong_file(tmp_path, firmware):
    with pytest.raises(ClapnetError, match="not found"):
        flash_firmware(tmp_path / "nope.bin", "/dev/ttyUSB0", yes=True)
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"UF2\nWQ]\x9e" + bytes(100))
    with pytest.raises(ClapnetError, match="not an ESP32 firmware image"):
        flash_firmware(uf2, "/dev/ttyUSB0", yes=True)
    with pytest.raises(ClapnetError, match="no serial port"):
        flash_firmware(firmware, None, yes=True)
    with pytest.raises(ClapnetError, match="unknown chip"):
        flash_firmware(firmware, "/dev/ttyUSB0", chip="esp8266", yes=True)


def test_asks_first_and_does_nothing_without_yes(firmware, capsys):
    asked = []
    done = flash_firmware(firmware, "/dev/ttyNOPE", ask=lambda q: asked.append(q) or "n")
    assert done is False
    assert "ERASES everything" in asked[0] and "0x1000" in asked[0]
    assert "nothing done" in capsys.readouterr().out


def test_esptool_failure_is_a_clear_error(firmware, tmp_path):
    result = clapnet("flash-firmware", str(firmware), "--port", str(tmp_path / "ttyNOPE"),
                     "--yes", check=False, timeout=120)
    assert result.returncode == 2
    assert "esptool erase-flash failed" in result.stderr
    assert "Traceback" not in result.stderr
