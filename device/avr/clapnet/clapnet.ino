// clapnet for the Arduino Mega 2560: a microphone on A0, the LED on pin 13.
//
//   ADC sample interrupt -> Trigger (ring buffer) -> main loop: Features ->
//   forward() -> LED toggle + one line on Serial (115200 baud)
//
// model.h is generated on the host: clapnet export-header MODEL -o model.h
// Builds with the Arduino IDE / arduino-builder, or with plain avr-gcc (see
// device/avr/README.md); it uses the registers directly, no Arduino calls.
//
// Sampling: Timer1 compare match B starts a conversion every 448 cycles
// (16 MHz / 448 = 35.71 kHz, 0.1 % below the 35.75 kHz the models are
// trained on) and the ADC interrupt takes the result. With the ADC clock at
// 16 MHz / 32 = 500 kHz a triggered conversion takes 13.5 ADC clocks = 432
// cycles, so it fits; the hardware trigger keeps the rate exact whatever the
// interrupt latency. (A free-running ADC at prescaler 32 would sample at
// 16 MHz / 32 / 13 = 38.46 kHz and shift every spectral feature by 7.6 %.)
// The interrupt (Trigger::push) takes about 130 of the 448 cycles per sample,
// so the main loop gets about 70 % of the CPU.
//
// Output lines:
//   clap p=0.934 start=123456 led=on     a window classified as a clap
//   other p=0.120 start=...              a window that is not a clap
//   overload start=...                   a window rejected because it clipped
//   missed 2                             windows dropped, the loop was too slow
// With -DCLAPNET_VERBOSE=1 each window is preceded by its features and
// probabilities as float bits in hex:  F start f0 f1 ... p0 p1
// With -DCLAPNET_BENCH=1 also:  B feature_cycles forward_cycles stage_cycles...
// (stages of Features::extract: load + DC + zero crossings, energy decay,
// sub-frames + window function, FFT, magnitudes, mel + log + DCT, centroid +
// flatness) and  S stack_bytes  (the deepest the stack has been so far)
// (sampling is paused while those are measured).
#include <avr/io.h>
#include <avr/interrupt.h>
#include <util/atomic.h>
#include <string.h>

#ifndef CLAPNET_BENCH
#define CLAPNET_BENCH 0
#endif
#if CLAPNET_BENCH
// cycle counts at the end of each stage of Features::extract()
static uint32_t stage_end[7];
static uint32_t cycles();
#define CLAPNET_MARK(stage) (stage_end[stage] = cycles())
#endif

#include "clapnet.h"

#ifndef CLAPNET_VERBOSE
#define CLAPNET_VERBOSE 0
#endif

// ADC value of silence: the microphone's bias, measure yours
const int16_t adc_mid = 511;
// samples are centred ADC counts; 512 counts = full scale 1.0
const float full_scale = 512.0f;
// seconds within which a second clap must follow to toggle (0: every clap)
const float double_clap_gap = 0.0f;

static clapnet::Trigger trigger(full_scale);
static clapnet::Features features;
static clapnet::Toggle toggle((uint32_t)(double_clap_gap * model::sample_rate));
static float feature_values[model::feature_count];
static float probabilities[model::label_count];
static uint16_t missed_reported;
static bool led_on;

// --- serial output, polled (no interrupt, no buffer)

static bool uart_used;

static void put(char c) {
    // wait until the transmit buffer is free; the first byte finds an idle
    // transmitter (and simavr 1.6 leaves UDRE0 clear until a byte was sent
    // once the Arduino core's init() has written UCSR0B = 0)
    if (uart_used)
        while (!(UCSR0A & _BV(UDRE0))) {}
    uart_used = true;
    UDR0 = c;
}

static void print(const char *s) {
    while (*s) put(*s++);
}

static void print_number(uint32_t v) {
    char digits[11];
    uint8_t count = 0;
    do {
        digits[count++] = '0' + v % 10;
        v /= 10;
    } while (v);
    while (count) put(digits[--count]);
}

// p in [0, 1] with three decimals
static void print_probability(float p) {
    uint16_t thousandths = (uint16_t)(p * 1000.0f + 0.5f);
    put('0' + thousandths / 1000);
    put('.');
    put('0' + thousandths / 100 % 10);
    put('0' + thousandths / 10 % 10);
    put('0' + thousandths % 10);
}

#if CLAPNET_VERBOSE
// a float's exact bits, for comparisons with the host
static void print_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    for (int8_t shift = 28; shift >= 0; shift -= 4) put("0123456789abcdef"[(bits >> shift) & 15]);
}
#endif

// --- cycle counter for the benchmark: Timer3 at 16 MHz plus overflows

#if CLAPNET_BENCH
static volatile uint16_t timer3_overflows;
ISR(TIMER3_OVF_vect) { timer3_overflows++; }

static uint32_t cycles() {
    uint32_t high;
    uint16_t low;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
        low = TCNT3;
        high = timer3_overflows;
        // an overflow pending but not yet counted
        if ((TIFR3 & _BV(TOV3)) && low < 0x8000) high++;
    }
    return (high << 16) | low;
}

// Stack depth: setup() fills the free RAM between the static data and the
// stack with a pattern; the lowest overwritten byte marks the deepest stack.
extern uint8_t __heap_start;
const uint8_t stack_paint = 0xA5;

static void paint_stack() {
    uint8_t here;
    for (uint8_t *p = &__heap_start; p < &here - 32; p++) *p = stack_paint;
}

static uint16_t stack_used() {
    uint8_t *p = &__heap_start;
    while (*p == stack_paint && p < (uint8_t *)RAMEND) p++;
    return (uint16_t)((uint8_t *)RAMEND - p + 1);
}
#endif

// --- sampling

ISR(ADC_vect) {
    int16_t v = (int16_t)ADC - adc_mid;
    TIFR1 = _BV(OCF1B);  // the next compare match may trigger the ADC again
    trigger.push(v);
}

static void start_sampling() {
    // Timer1 counts 0..447 at 16 MHz; each compare match B starts a conversion
    TCCR1A = 0;
    OCR1A = 448 - 1;
    OCR1B = 0;
    TIMSK1 = 0;
    TCNT1 = 0;
    ADMUX = _BV(REFS0);  // AVcc reference, channel ADC0 (pin A0)
    ADCSRB = _BV(ADTS2) | _BV(ADTS0);  // auto trigger: Timer1 compare match B
    // prescaler 32: 500 kHz ADC clock, a triggered conversion takes 13.5 of them
    ADCSRA = _BV(ADEN) | _BV(ADATE) | _BV(ADIE) | _BV(ADPS2) | _BV(ADPS0);
    TCCR1B = _BV(WGM12) | _BV(CS10);  // CTC mode, no prescaler: go
}

// --- one finished window

static void classify(uint32_t start) {
#if CLAPNET_BENCH
    uint8_t timer1_clock = TCCR1B;
    TCCR1B = 0;  // stop sampling: the cycles below are the work alone
    uint32_t t0 = cycles();
#endif
    features.load(trigger, 1.0f / full_scale);
    trigger.release();  // the ring may fill again
    features.extract(feature_values);
#if CLAPNET_BENCH
    uint32_t t1 = cycles();
#endif
    float p = clapnet::forward(feature_values, probabilities);
#if CLAPNET_BENCH
    uint32_t t2 = cycles();
    TCCR1B = timer1_clock;
#endif
    bool clap = clapnet::is_clap(p);
    bool flip = toggle.decide(start, clap);
    if (flip) {
        led_on = !led_on;
        if (led_on) PORTB |= _BV(PB7);
        else PORTB &= ~_BV(PB7);
    }
#if CLAPNET_VERBOSE
    print("F ");
    print_number(start);
    for (uint8_t i = 0; i < model::feature_count; i++) {
        put(' ');
        print_bits(feature_values[i]);
    }
    for (uint8_t i = 0; i < model::label_count; i++) {
        put(' ');
        print_bits(probabilities[i]);
    }
    put('\n');
#endif
#if CLAPNET_BENCH
    print("B ");
    print_number(t1 - t0);
    put(' ');
    print_number(t2 - t1);
    uint32_t before = t0;
    for (uint8_t i = 0; i < 7; i++) {
        put(' ');
        print_number(stage_end[i] - before);
        before = stage_end[i];
    }
    put('\n');
    print("S ");
    print_number(stack_used());
    put('\n');
#endif
    print(clap ? "clap p=" : "other p=");
    print_probability(p);
    print(" start=");
    print_number(start);
    if (flip) print(led_on ? " led=on" : " led=off");
    put('\n');
}

void setup() {
    DDRB |= _BV(PB7);  // LED (pin 13)
    UBRR0 = 16;  // 115200 baud with U2X at 16 MHz
    UCSR0A = _BV(U2X0);
    UCSR0B = _BV(TXEN0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
#if CLAPNET_BENCH
    paint_stack();
    TCCR3A = 0;
    TCCR3B = _BV(CS30);
    TIMSK3 = _BV(TOIE3);
#endif
    print("clapnet ready\n");
    start_sampling();
    sei();
}

void loop() {
    if (trigger.ready) {
        uint32_t start = trigger.start();
        if (trigger.clipped()) {
            trigger.release();
            print("overload start=");
            print_number(start);
            put('\n');
        } else {
            classify(start);
        }
    }
    uint16_t missed;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) missed = trigger.missed;
    if (missed != missed_reported) {
        missed_reported = missed;
        print("missed ");
        print_number(missed);
        put('\n');
    }
}

#ifndef ARDUINO
int main() {
    setup();
    for (;;) loop();
}
#endif
