"""Exporters: `clapnet export-header MODEL -o model.h` (the Arduino Mega sketch)."""
from .. import api
from ..avr import header


def add_commands(sub):
    p = sub.add_parser(
        "export-header",
        help="write the C++ header of a model for the AVR (Arduino Mega) sketch",
        description="Generate a C++ header from a model file: the network (hexfloat "
                    "literals that round-trip float32), the normalisation and every "
                    "table the features need (window function, sparse mel filters, DCT, "
                    "FFT twiddles) in PROGMEM. With --format clapnet (default) it is the "
                    "model.h of device/avr/clapnet; with --format lightweight it is the "
                    "model for the reference design's neuralNetworkLayer_t template.",
        epilog="example: clapnet export-header model.json -o device/avr/clapnet/model.h")
    p.add_argument("model", help="model file (JSON) from `clapnet train`")
    p.add_argument("-o", "--output", required=True, help="header to write, e.g. model.h")
    p.add_argument("--format", choices=header.FORMATS, default="clapnet",
                   help="clapnet: model.h for device/avr/clapnet (default); lightweight: "
                        "typedef neuralNetwork_t + union n for the reference sketch")
    p.set_defaults(func=cmd_export_header)


def cmd_export_header(args):
    api.export_header(args.model, args.output, args.format)
    print("wrote %s (%s format)" % (args.output, args.format))
    return 0
