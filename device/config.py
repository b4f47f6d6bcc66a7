# Board settings, all in one place. Edit, then `clapnet push` copies this file
# to the board. Rates are not here: the model file carries its sample rate, and
# the firmware samples at that rate so features match training.

# Where the sound comes from: "adc" (analog microphone module, e.g. MAX4466 or
# MAX9814, on an ADC pin) or "i2s" (digital I2S microphone, e.g. INMP441).
INPUT = "adc"

# Analog microphone: ADC1 pin (ADC2 cannot be used while Wi-Fi is on).
ADC_PIN = 34
# read_u16() value of silence. The microphone module biases its output to
# about half the supply; `calibrate` measures the real value.
ADC_MIDPOINT = 32768

# I2S microphone (INMP441: L/R to GND selects the left slot).
I2S_ID = 0
I2S_SCK_PIN = 14
I2S_WS_PIN = 15
I2S_SD_PIN = 32
I2S_BUFFER_BYTES = 16000  # DMA buffer: samples keep arriving while a window is classified

# On-board LED (GPIO 2 on most ESP32 DevKit boards).
LED_PIN = 2
LED_ACTIVE_LOW = False

# Samples read per block. A multiple of nothing in particular; smaller blocks
# react sooner, larger ones cost less per sample.
BLOCK = 256

# 0: every clap toggles the LED. > 0: two claps within this many seconds
# toggle it (one clap alone does nothing).
DOUBLE_CLAP_GAP = 0.0

# Files on the board's flash.
MODEL = "model.json"
BACKUP_MODEL = "model.bak.json"  # the previous model, kept by `clapnet push`
CALIBRATION = "calibration.json"  # written by calibrate.py

# Calibration: listen this long to the room, then put the trigger this many
# times above the loudest noise sample.
CALIBRATION_SECONDS = 1.0
CALIBRATION_MARGIN = 4.0
MIN_TRIGGER_LEVEL = 0.05  # fraction of full scale

# Warn when the measured sampling rate is this far (fraction) from the model's.
RATE_TOLERANCE = 0.02

# The main loop survives errors, but gives up after this many in a row.
MAX_ERRORS_IN_A_ROW = 20
