/* Runs an ATmega2560 firmware in simavr with samples injected into ADC0 and
 * the UART0 output on stdout.
 *
 *   harness FIRMWARE.elf SAMPLES.bin [TAIL_SECONDS]
 *
 * SAMPLES.bin holds little-endian uint16 ADC counts (0..1023), one per
 * conversion the firmware starts; silence (the last count) follows when they
 * run out. The simulation ends TAIL_SECONDS (default 0.5) of simulated time
 * after the last sample, when the firmware stops (cli + sleep), or when it
 * takes far longer than the samples should.
 * At the end the number of conversions and cycles go to stderr.
 *
 * Build: gcc harness.c $(pkg-config --cflags --libs simavr) -lelf -o harness
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_interrupts.h>
#include <avr_adc.h>
#include <avr_uart.h>

/* the ATmega2560's TIMER1_COMPB interrupt vector number (avr/iomxx0_1.h) */
#define TIMER1_COMPB_VECTOR 18
#define ADC_VECTOR 29

#define AVCC_MV 5000

static uint16_t *samples;
static size_t sample_count;
static size_t next_sample;
static avr_irq_t *adc0;
static avr_t *avr;
static avr_cycle_count_t samples_done_at;

/* A conversion takes the sample of its start time. simavr reads the ADC0
 * value when the firmware reads ADCL, so the sample chosen at the start is
 * put on ADC0 when the conversion completes and stays there until the next
 * one completes, as the real ADC's result register would. With AVcc =
 * 5000 mV the ADC reads floor(mV * 1023 / 5000); ceil(count * 5000 / 1023)
 * gives back exactly count. */
static uint16_t converting;

static void conversion_started(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    converting = sample_count ? samples[next_sample < sample_count ? next_sample
                                                                   : sample_count - 1] : 0;
    if (next_sample < sample_count && next_sample + 1 == sample_count)
        samples_done_at = avr->cycle;
    next_sample++;
}

static void conversion_done(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    if (value) avr_raise_irq(adc0, ((uint32_t)converting * AVCC_MV + 1022) / 1023);
}

/* The ATmega2560 starts a conversion at each Timer1 compare match B when the
 * ADC's auto trigger source says so (ADATE, ADTS = 101); simavr 1.6 leaves
 * that source unimplemented, so the harness wires the compare match to the
 * ADC's trigger input. The ADC ignores it unless ADATE is set. */
static avr_irq_t *adc_trigger;
static void timer1_compare_b(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    if (value) avr_raise_irq(adc_trigger, 1);
}

static void uart_byte(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    putchar((int)(value & 0xff));
    if ((value & 0xff) == '\n') fflush(stdout);
}

static uint16_t *read_samples(const char *path, size_t *count) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint16_t *data = malloc(size > 0 ? (size_t)size : 1);
    *count = fread(data, 2, (size_t)size / 2, f);
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: harness FIRMWARE.elf SAMPLES.bin [TAIL_SECONDS]\n");
        return 2;
    }
    double tail = argc > 3 ? atof(argv[3]) : 0.5;
    samples = read_samples(argv[2], &sample_count);

    elf_firmware_t firmware;
    memset(&firmware, 0, sizeof(firmware));
    if (elf_read_firmware(argv[1], &firmware) != 0) {
        fprintf(stderr, "harness: cannot read %s\n", argv[1]);
        return 2;
    }
    avr = avr_make_mcu_by_name("atmega2560");
    if (!avr) {
        fprintf(stderr, "harness: simavr has no atmega2560\n");
        return 2;
    }
    avr_init(avr);
    avr->frequency = 16000000;
    avr->avcc = AVCC_MV;
    avr->aref = AVCC_MV;
    avr->vcc = AVCC_MV;
    avr->log = LOG_ERROR;
    avr_load_firmware(avr, &firmware);

    adc0 = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
                            conversion_started, NULL);
    avr_irq_register_notify(avr_get_interrupt_irq(avr, ADC_VECTOR) + AVR_INT_IRQ_PENDING,
                            conversion_done, NULL);
    adc_trigger = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_IN_TRIGGER);
    avr_irq_register_notify(avr_get_interrupt_irq(avr, TIMER1_COMPB_VECTOR) + AVR_INT_IRQ_PENDING,
                            timer1_compare_b, NULL);
    /* our own copy of UART0's bytes, without simavr's coloured line echo, and
     * without its real-time sleep when the firmware polls the UART status */
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            uart_byte, NULL);

    avr_cycle_count_t tail_cycles = (avr_cycle_count_t)(tail * avr->frequency);
    /* generous: 4x the time the samples take at 35.7 kHz */
    avr_cycle_count_t limit = (avr_cycle_count_t)sample_count * 448 * 4 + 2 * tail_cycles
                              + avr->frequency;
    int state = cpu_Running;
    while (state != cpu_Done && state != cpu_Crashed) {
        state = avr_run(avr);
        if (next_sample >= sample_count && avr->cycle - samples_done_at > tail_cycles) break;
        if (avr->cycle > limit) {
            fprintf(stderr, "harness: the firmware took fewer samples than expected; stopped\n");
            break;
        }
    }
    fflush(stdout);
    fprintf(stderr, "harness: %zu conversions, %llu cycles%s\n", next_sample,
            (unsigned long long)avr->cycle, state == cpu_Crashed ? ", CRASHED" : "");
    return state == cpu_Crashed ? 1 : 0;
}
